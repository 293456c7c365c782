//! What an earlier, interrupted create of an edge may have left behind, and whether the next
//! create can take it over. A create killed or retried part-way leaves the edge's policies,
//! and perhaps its first distribution, in AWS but nothing in Terraform's state; the next create
//! finds them under the names only this edge uses. They are taken over when they provably
//! belong to that create: the policies carry the edge's marker and serve no distribution outside
//! the edge, and the distribution carries the generation the cache policy gives (the caller
//! reference of an earlier attempt) and serves no tenant yet. Anything else is reported with
//! what it is and how to resolve it.

use crate::account::{Account, AccountError};
use crate::domain::edge::EdgeView;

/// The marker an edge writes in its policies' comments.
pub fn policy_comment(edge: &str) -> String {
    format!("gateway edge {edge}")
}

/// A policy found under the edge's name, as far as the decision needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPolicy<'a> {
    /// "cache policy" or "origin request policy".
    pub kind: &'a str,
    pub name: &'a str,
    pub id: &'a str,
    pub comment: &'a str,
    /// The distributions whose behaviours use it.
    pub users: &'a [String],
}

/// Whether a policy found under the edge's name may be taken over by the edge's create: it
/// must carry the edge's marker and serve only distributions of the edge itself.
pub fn judge_policy(
    edge: &str,
    found: &FoundPolicy<'_>,
    edge_distributions: &[String],
) -> Result<(), AccountError> {
    let object = format!("CloudFront {} {} ({})", found.kind, found.name, found.id);
    let delete = match found.kind {
        "cache policy" => "delete-cache-policy",
        _ => "delete-origin-request-policy",
    };
    let get = match found.kind {
        "cache policy" => "get-cache-policy",
        _ => "get-origin-request-policy",
    };
    if found.comment != policy_comment(edge) {
        return Err(AccountError::Foreign {
            object,
            detail: format!(
                "Its name is the one edge {edge} gives its {kind}, but it does not carry the edge's marker (its comment is {comment:?}). \
                 Rename it, or delete it if nothing needs it: aws cloudfront {delete} --id {id} --if-match \"$(aws cloudfront {get} --id {id} --query ETag --output text)\".",
                kind = found.kind,
                comment = found.comment,
                id = found.id,
            ),
        });
    }
    let outside: Vec<&str> = found
        .users
        .iter()
        .filter(|d| !edge_distributions.contains(d))
        .map(String::as_str)
        .collect();
    if !outside.is_empty() {
        return Err(AccountError::Claimed {
            object,
            detail: format!(
                "It was made for edge {edge}, perhaps by an earlier run that was interrupted, but distribution{s} {list} outside the edge use{verb} it, \
                 so the provider will not take it over. Detach it from {them}, or delete {them} if an interrupted run left {them}.",
                s = if outside.len() == 1 { "" } else { "s" },
                list = outside.join(", "),
                verb = if outside.len() == 1 { "s" } else { "" },
                them = if outside.len() == 1 { "it" } else { "them" },
            ),
        });
    }
    Ok(())
}

/// Whether an edge found in AWS under the name being created is the leftover of an earlier
/// attempt of this create (`generation` is the one its cache policy gives): then the create
/// takes it over. An edge of another generation, or one already serving tenants or grown
/// beyond its first distribution, belongs to someone: import it instead.
pub fn judge_edge(found: &EdgeView, generation: &str) -> Result<(), AccountError> {
    let record = &found.record;
    let first = &found.members[0].distribution.id;
    let leftover = record.generation == generation
        && found.members.len() == 1
        && found.members[0].slot == 0
        && found.hosts().is_empty();
    if leftover {
        return Ok(());
    }
    let tenants = found.hosts().len();
    Err(AccountError::Claimed {
        object: format!("edge {}", record.name),
        detail: format!(
            "Its pool ({} distribution{}, first {first}, {tenants} tenant{}) was not left by an interrupted create of this edge, \
             so another Terraform state may manage it. Import it instead of creating it: terraform import <address of this gateway_shared_edge> {}",
            found.members.len(),
            if found.members.len() == 1 { "" } else { "s" },
            if tenants == 1 { "" } else { "s" },
            record.name,
        ),
    })
}

/// The edge `name` as AWS lists it now, past any cached listing (`None` when there is none).
pub async fn current_edge(account: &Account, name: &str) -> Result<Option<EdgeView>, AccountError> {
    account.distributions.invalidate().await;
    account.distributions.find_edge(name).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::edge::{DistributionInfo, EdgeRecord, Member};

    fn policy<'a>(comment: &'a str, users: &'a [String]) -> FoundPolicy<'a> {
        FoundPolicy {
            kind: "cache policy",
            name: "gateway-e1",
            id: "p-1",
            comment,
            users,
        }
    }

    #[test]
    fn a_policy_is_taken_over_only_with_the_marker_and_no_outside_user() {
        let ours = policy_comment("e1");
        let edge = vec!["E1".to_string()];
        let none: Vec<String> = Vec::new();
        let inside = vec!["E1".to_string()];
        let outside = vec!["E1".to_string(), "EX".to_string()];
        assert!(judge_policy("e1", &policy(&ours, &none), &edge).is_ok());
        assert!(judge_policy("e1", &policy(&ours, &inside), &edge).is_ok());
        match judge_policy("e1", &policy(&ours, &outside), &edge) {
            Err(AccountError::Claimed { detail, .. }) => {
                assert!(
                    detail.contains("distribution EX outside the edge uses it"),
                    "{detail}"
                )
            }
            other => panic!("{other:?}"),
        }
        match judge_policy("e1", &policy("made by hand", &none), &edge) {
            Err(AccountError::Foreign { detail, .. }) => {
                assert!(detail.contains("delete-cache-policy --id p-1"), "{detail}")
            }
            other => panic!("{other:?}"),
        }
        // The marker of another edge is not this edge's.
        let other = policy_comment("e2");
        assert!(judge_policy("e1", &policy(&other, &none), &edge).is_err());
    }

    fn edge(generation: &str, slots: &[u32], aliases: &[&str]) -> EdgeView {
        let record = EdgeRecord {
            generation: generation.into(),
            ..EdgeRecord::example()
        };
        let members = slots
            .iter()
            .map(|&slot| Member {
                slot,
                distribution: DistributionInfo {
                    id: format!("E{slot}"),
                    arn: format!("arn:aws:cloudfront::123456789012:distribution/E{slot}"),
                    domain_name: format!("d{slot}.cloudfront.net"),
                    comment: String::new(),
                    aliases: if slot == 0 {
                        aliases.iter().map(|a| a.to_string()).collect()
                    } else {
                        Default::default()
                    },
                    status: "Deployed".into(),
                    enabled: true,
                },
            })
            .collect();
        EdgeView { record, members }
    }

    #[test]
    fn only_an_empty_first_distribution_of_the_same_generation_is_a_leftover() {
        assert!(judge_edge(&edge("g1", &[0], &[]), "g1").is_ok());
        for (found, why) in [
            (edge("g0", &[0], &[]), "another generation"),
            (edge("g1", &[0], &["acme.example.com"]), "a tenant"),
            (edge("g1", &[0, 1], &[]), "a grown pool"),
        ] {
            match judge_edge(&found, "g1") {
                Err(AccountError::Claimed { detail, .. }) => {
                    assert!(detail.contains("terraform import"), "{why}: {detail}")
                }
                other => panic!("{why}: {other:?}"),
            }
        }
    }
}
