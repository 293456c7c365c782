//! What a multi-tenant edge (`distribution_mode = "multi_tenant"`) left in the emulator:
//! its multi-tenant distribution, connection group and distribution tenants, and the checks
//! that its tenants are served the multi-tenant way and that nothing is left of it.

use aws_sdk_cloudfront::types as cf;

use super::{Scene, EDGE};

/// What the emulator holds of the edge: its multi-tenant distributions, its connection groups
/// and their distribution tenants.
pub struct SaasView {
    pub distributions: Vec<(String, String)>,
    pub groups: Vec<(String, String, String)>,
    /// Id, domains, connection group and distribution of each.
    pub tenants: Vec<(String, Vec<String>, Option<String>, String)>,
}

pub fn saas(scene: &Scene) -> SaasView {
    scene.with_cloudfront(|cloudfront| async move {
        let listed = cloudfront
            .list_distributions()
            .send()
            .await
            .expect("ListDistributions");
        let mut distributions = Vec::new();
        for d in listed
            .distribution_list
            .and_then(|l| l.items)
            .unwrap_or_default()
        {
            let config = cloudfront
                .get_distribution_config()
                .id(&d.id)
                .send()
                .await
                .expect("GetDistributionConfig")
                .distribution_config
                .unwrap();
            if config.connection_mode == Some(cf::ConnectionMode::TenantOnly) {
                distributions.push((d.id, config.comment));
            }
        }
        let groups = cloudfront
            .list_connection_groups()
            .send()
            .await
            .expect("ListConnectionGroups")
            .connection_groups
            .unwrap_or_default()
            .into_iter()
            .filter(|g| g.is_default != Some(true))
            .map(|g| (g.id, g.name, g.routing_endpoint))
            .collect();
        let tenants = cloudfront
            .list_distribution_tenants()
            .send()
            .await
            .expect("ListDistributionTenants")
            .distribution_tenant_list
            .unwrap_or_default()
            .into_iter()
            .map(|t| {
                let domains = t.domains.into_iter().map(|d| d.domain).collect();
                (t.id, domains, t.connection_group_id, t.distribution_id)
            })
            .collect();
        SaasView {
            distributions,
            groups,
            tenants,
        }
    })
}

/// Every tenant of `names` is served the multi-tenant way: a distribution tenant with its host
/// as its domain on the edge's connection group, one rule forwarding the host to the shared
/// target group, and A and AAAA alias records to the routing endpoint.
pub fn assert_served(scene: &Scene, names: &[&str]) -> SaasView {
    assert_served_on(scene, EDGE, names)
}

/// The same on the multi-tenant edge named `edge`.
pub fn assert_served_on(scene: &Scene, edge: &str, names: &[&str]) -> SaasView {
    let mut view = saas(scene);
    let comment = format!("gateway edge {edge} slot 0");
    view.distributions.retain(|(_, c)| *c == comment);
    assert_eq!(view.distributions.len(), 1, "one multi-tenant distribution");
    let ours = view.distributions[0].0.clone();
    view.tenants.retain(|t| t.3 == ours);
    view.groups
        .retain(|(_, name, _)| *name == format!("gateway-{edge}"));
    assert_eq!(
        view.groups.len(),
        1,
        "one connection group: {:?}",
        view.groups
    );
    let (group_id, _, endpoint) = &view.groups[0];
    let endpoint = endpoint.trim_end_matches('.').to_ascii_lowercase();
    assert_eq!(view.tenants.len(), names.len(), "{:?}", view.tenants);
    let rules = scene.rules();
    let records = scene.address_records();
    for name in names {
        let host = scene.host(name);
        let tenant = view
            .tenants
            .iter()
            .find(|(_, domains, _, _)| domains.as_slice() == std::slice::from_ref(&host))
            .unwrap_or_else(|| panic!("no distribution tenant for {host}: {:?}", view.tenants));
        assert_eq!(tenant.2.as_deref(), Some(group_id.as_str()), "{host}");
        let matching: Vec<_> = rules.iter().filter(|r| r.hosts.contains(&host)).collect();
        assert_eq!(matching.len(), 1, "{host}: one rule");
        assert_eq!(
            matching[0].target_groups.as_slice(),
            std::slice::from_ref(&scene.seed.target_group_arn)
        );
        for kind in ["A", "AAAA"] {
            let record = records
                .iter()
                .find(|r| r.name == host && r.kind == kind)
                .unwrap_or_else(|| panic!("{host}: no {kind} record"));
            assert_eq!(
                record.alias_dns_name.as_deref(),
                Some(endpoint.as_str()),
                "{host} {kind}"
            );
        }
    }
    view
}

/// Nothing of the edge is left: no multi-tenant distribution, connection group or
/// distribution tenant, and nothing of the pool mode's either.
pub fn assert_nothing_left(scene: &Scene) {
    let view = saas(scene);
    assert!(view.distributions.is_empty(), "{:?}", view.distributions);
    assert!(view.groups.is_empty(), "{:?}", view.groups);
    assert!(view.tenants.is_empty(), "{:?}", view.tenants);
    scene.assert_nothing_left(&[]);
}

/// A pool edge's tenants before and after their move: the pool edge `main` (with the extra
/// settings `pool`, kept while `keep_pool`) and, when `moved`, the multi-tenant edge `next`
/// (with `multi`) of the same domain, zone, listener and target group, and the tenants
/// `names` on `next` when `moved`, else on `main`.
pub fn moving_config(
    scene: &Scene,
    pool: &str,
    multi: &str,
    names: &[&str],
    moved: bool,
    keep_pool: bool,
) -> String {
    let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let mut text = scene.provider_hcl();
    if keep_pool {
        text += &scene.edge_hcl(pool);
    }
    if moved {
        text += &scene
            .edge_hcl(&format!("  distribution_mode = \"multi_tenant\"\n{multi}"))
            .replace(
                "\"gateway_shared_edge\" \"main\"",
                "\"gateway_shared_edge\" \"next\"",
            )
            .replace(&format!("\"{EDGE}\""), &format!("\"{NEXT}\""));
    }
    let edge = if moved { "next" } else { "main" };
    text += &format!(
        "\nresource \"gateway_tenant\" \"t\" {{\n  for_each = toset([{}])\n  edge_id  = gateway_shared_edge.{edge}.id\n  name     = each.key\n}}\n",
        list.join(", ")
    );
    text
}

/// The multi-tenant edge tenants move to.
pub const NEXT: &str = "gateway-e2e-next";
