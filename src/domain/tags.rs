//! Tags on the objects the provider creates: what it writes (the provider's default tags, the
//! resource's own, its bookkeeping), what the user sees back, and what must change to bring
//! an object's tags to what they should be. One helper for rules and distributions alike.

use std::collections::BTreeMap;

use super::edge::TAG_PREFIX;

/// Tags by key.
pub type Tags = BTreeMap<String, String>;

/// The tags to write: `defaults`, overridden by the resource's `user` tags, overridden by the
/// provider's `own` (whose keys carry [`TAG_PREFIX`], which users may not use).
pub fn merge(defaults: &Tags, user: &Tags, own: Tags) -> Tags {
    let mut tags = defaults.clone();
    tags.extend(user.iter().map(|(k, v)| (k.clone(), v.clone())));
    tags.extend(own);
    tags
}

/// Tag keys AWS reserves for itself (CloudFormation's stack tags on what CDK made): no one
/// can set or remove them.
pub const AWS_PREFIX: &str = "aws:";

/// The resource's own tags as seen on an object: without the provider's bookkeeping, AWS's
/// reserved tags and default tags that still have their default value.
pub fn user_view(tags: &Tags, defaults: &Tags) -> Tags {
    tags.iter()
        .filter(|(k, _)| !k.starts_with(TAG_PREFIX) && !k.starts_with(AWS_PREFIX))
        .filter(|(k, v)| defaults.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The calls that turn `current` into `wanted`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagChanges {
    /// Keys to remove.
    pub remove: Vec<String>,
    /// Tags to add or overwrite.
    pub set: Tags,
}

impl TagChanges {
    pub fn is_empty(&self) -> bool {
        self.remove.is_empty() && self.set.is_empty()
    }
}

/// What changes `current` into `wanted`, leaving alone AWS's reserved keys and those `keep`
/// accepts (tags set by AWS on creation that no configuration lists, such as the managed-by
/// marker).
pub fn changes(current: &Tags, wanted: &Tags, keep: impl Fn(&str) -> bool) -> TagChanges {
    TagChanges {
        remove: current
            .keys()
            .filter(|k| !wanted.contains_key(*k) && !keep(k) && !k.starts_with(AWS_PREFIX))
            .cloned()
            .collect(),
        set: wanted
            .iter()
            .filter(|(k, v)| current.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_resource_wins_over_defaults_and_the_provider_over_both() {
        let defaults = tags(&[("team", "edge"), ("env", "prod")]);
        let user = tags(&[("env", "staging"), ("gateway:edge", "forged")]);
        let own = tags(&[("gateway:edge", "e1")]);
        assert_eq!(
            merge(&defaults, &user, own),
            tags(&[("team", "edge"), ("env", "staging"), ("gateway:edge", "e1")])
        );
    }

    #[test]
    fn users_see_their_tags_and_changed_defaults() {
        let defaults = tags(&[("team", "edge"), ("env", "prod")]);
        let cases = [
            (tags(&[("team", "edge"), ("gateway:edge", "e1")]), tags(&[])),
            (
                tags(&[("team", "web"), ("owner", "ops")]),
                tags(&[("team", "web"), ("owner", "ops")]),
            ),
            (tags(&[("gateway:managed-by", "x")]), tags(&[])),
        ];
        for (on_object, seen) in cases {
            assert_eq!(user_view(&on_object, &defaults), seen, "{on_object:?}");
        }
    }

    #[test]
    fn changes_are_what_differs() {
        let keep = |k: &str| k == "gateway:managed-by";
        let cases = [
            (tags(&[]), tags(&[]), TagChanges::default()),
            (
                tags(&[("a", "1"), ("b", "2"), ("gateway:managed-by", "p")]),
                tags(&[("a", "1"), ("c", "3")]),
                TagChanges {
                    remove: vec!["b".into()],
                    set: tags(&[("c", "3")]),
                },
            ),
            (
                tags(&[("a", "1")]),
                tags(&[("a", "2")]),
                TagChanges {
                    remove: vec![],
                    set: tags(&[("a", "2")]),
                },
            ),
        ];
        for (current, wanted, expected) in cases {
            assert_eq!(changes(&current, &wanted, keep), expected, "{current:?}");
        }
        let all = changes(&tags(&[("gateway:managed-by", "p")]), &tags(&[]), |_| false);
        assert_eq!(all.remove, vec!["gateway:managed-by".to_string()]);
    }
}
