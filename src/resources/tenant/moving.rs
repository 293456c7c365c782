//! A tenant moving from a pool edge to a multi-tenant edge in place: its `edge_id` changes to
//! an edge of the same domain, hosted zone, listener and target group, and the update moves
//! its host without a moment when viewers are not served.
//!
//! In order: a distribution tenant is made on the new edge's distribution and CloudFront moves
//! the host from the pool distribution into it in one call ([`crate::account::DistributionTenants::arrive`]);
//! then the tenant's ordinary writes on the new edge find their distribution tenant in place,
//! write the rule the new edge's layout asks for (made before the old one is left), and point
//! the records at the connection group's routing endpoint; last, the rule of the old edge is
//! left when it is not the one the tenant keeps. Until all of it is done the tenant stays on
//! its old edge in the state, so the next apply finishes a move interrupted anywhere.

use super::apply::{group, known_claims, tenant_host, tenant_tags};
use super::model::Tenant;
use crate::account::{Account, AccountError};
use crate::domain::edge::{DistributionMode, EdgeRecord};

/// Why a tenant of edge `from` cannot move in place to edge `to`, or `None` when it can: the
/// move is from a pool to a multi-tenant edge serving the same hosts, through the same
/// records and listener, to the same target group. Any other change of edge replaces the
/// tenant.
pub fn unmovable(from: &EdgeRecord, to: &EdgeRecord) -> Option<String> {
    if from.mode != DistributionMode::Pool || to.mode != DistributionMode::MultiTenant {
        return Some(format!(
            "a tenant moves in place only from a pool edge to a multi-tenant edge (edge {} is {}, edge {} is {})",
            from.name,
            from.mode.as_str(),
            to.name,
            to.mode.as_str()
        ));
    }
    let differs = [
        ("domain", &from.domain, &to.domain),
        ("hosted_zone_id", &from.hosted_zone_id, &to.hosted_zone_id),
        ("alb_listener_arn", &from.listener_arn, &to.listener_arn),
        (
            "target_group_arn",
            &from.target_group_arn,
            &to.target_group_arn,
        ),
    ]
    .into_iter()
    .filter(|(_, a, b)| a != b)
    .map(|(name, a, b)| format!("{name} {a} and {b}"))
    .collect::<Vec<_>>();
    (!differs.is_empty()).then(|| {
        format!(
            "edges {} and {} differ in {}",
            from.name,
            to.name,
            differs.join(", ")
        )
    })
}

/// The host's move into its distribution tenant on the new edge, before the tenant's writes
/// there. Nothing to move (the old edge is gone, or the host left it already) is no error.
pub async fn arrive(
    account: &Account,
    before: &Tenant,
    tenant: &Tenant,
) -> Result<(), AccountError> {
    let Some(old) = account.distributions.find_edge(&before.edge_id).await? else {
        return Ok(());
    };
    let new = account.distributions.edge(&tenant.edge_id).await?;
    if let Some(reason) = unmovable(&old.record, &new.record) {
        return Err(AccountError::Refused(format!(
            "Tenant {} does not move from edge {} to edge {}: {reason}.",
            tenant.name, old.record.name, new.record.name
        )));
    }
    let host = tenant_host(&new, &tenant.name)?;
    let from = old
        .member_with_alias(&host)
        .map(|m| m.distribution.id.clone());
    let tags = tenant_tags(account, tenant);
    account
        .tenants
        .arrive(&new, &host, &tags, from.as_deref())
        .await
}

/// After the tenant's writes on the new edge: the rule it had on the old edge, when it is not
/// the one it keeps, is left (a group of the old edge's) or deleted (its own rule there). The
/// new rule exists by then, so the host is matched throughout.
pub async fn leave_old_rule(
    account: &Account,
    before: &Tenant,
    after: &Tenant,
) -> Result<(), AccountError> {
    let Some(arn) = before.listener_rule_arn.as_deref() else {
        return Ok(());
    };
    if after.listener_rule_arn.as_deref() == Some(arn) {
        return Ok(());
    }
    let Some(old) = account.distributions.find_edge(&before.edge_id).await? else {
        return Ok(());
    };
    let record = &old.record;
    let host = tenant_host(&old, &before.name)?;
    let rules = account.rules.of_listener(&record.listener_arn).await?;
    let Some(rule) = rules.iter().find(|r| r.arn == arn) else {
        return Ok(());
    };
    if rule.is_group_of(&record.name) {
        // The claim the tenant had, or (stored without one) the one its update took.
        let mut claims = known_claims(before);
        claims.extend(after.claim.clone());
        if let Some(claim) = rule.claim().filter(|c| claims.iter().any(|o| o == c)) {
            account
                .rules
                .leave(&group(account, &old, claim), &host)
                .await?;
        }
    } else if rule.belongs_to(&record.name, &before.name) {
        account.rules.delete(&record.listener_arn, arn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::unmovable;
    use crate::domain::edge::{DistributionMode, EdgeRecord};

    fn edge(name: &str, mode: DistributionMode) -> EdgeRecord {
        EdgeRecord {
            name: name.into(),
            domain: "example.com".into(),
            hosted_zone_id: "Z1".into(),
            listener_arn: "listener".into(),
            target_group_arn: "tg".into(),
            mode,
            ..EdgeRecord::example()
        }
    }

    #[test]
    fn only_a_pool_tenant_moves_in_place_to_a_multi_tenant_edge_serving_the_same_hosts() {
        let pool = edge("old", DistributionMode::Pool);
        let multi = edge("new", DistributionMode::MultiTenant);
        assert_eq!(unmovable(&pool, &multi), None);
        assert!(unmovable(&multi, &pool)
            .unwrap()
            .contains("only from a pool edge"));
        assert!(unmovable(&pool, &pool).is_some());
        let other = EdgeRecord {
            domain: "example.org".into(),
            listener_arn: "other".into(),
            ..multi.clone()
        };
        let reason = unmovable(&pool, &other).unwrap();
        assert!(
            reason.contains("domain example.com and example.org"),
            "{reason}"
        );
        assert!(
            reason.contains("alb_listener_arn listener and other"),
            "{reason}"
        );
        assert!(!reason.contains("hosted_zone_id"), "{reason}");
    }
}
