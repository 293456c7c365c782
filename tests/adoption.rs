//! Moving onto the provider without rebuilding: the setup its users ran before it — one
//! CloudFront distribution with a host per partner, a host rule per partner, alias records —
//! is made in the emulator with the SDK alone, the edge is declared over that distribution,
//! its partners are found by `terraform query` (Terraform 1.15.5) or imported one by one
//! (Terraform 1.0.3), and what a viewer's request goes through is compared before and after.
//!
//! `cargo test --test adoption` (add `-- --nocapture` for step timings).

mod common;
mod scene;

use std::collections::BTreeMap;

use scene::{apply, destroy, expect_exit, plan_is_empty, Scene, Snapshot, SnapshotRule, EDGE};
use serde_json::Value as Json;

/// The edge over the hand-made distribution `id`, its settings as the setup had them, each
/// distribution holding up to `max_aliases`.
fn adopting_edge(scene: &Scene, id: &str, max_aliases: usize) -> String {
    scene.edge_hcl(&format!(
        "  rule_layout            = \"per_tenant\"\n  price_class            = \"PriceClass_100\"\n  adopt_distribution_ids = [\"{id}\"]\n  adopted_settings       = \"keep\"\n  max_aliases_per_distribution = {max_aliases}"
    ))
}

fn names(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("p{i:02}")).collect()
}

/// Tags of `after` that `before` does not have, or has with another value.
fn added_tags(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The adopted distribution kept its configuration and aliases and every tag it had; only its
/// comment and the provider's tags (`gateway:*`) changed.
fn assert_only_marked(before: &Snapshot, after: &Snapshot, id: &str) {
    let (was, is) = (&before.distributions[id], &after.distributions[id]);
    assert_eq!(was.config, is.config, "the distribution's configuration");
    assert_eq!(was.aliases, is.aliases, "the distribution's aliases");
    assert_eq!(is.comment, format!("gateway edge {EDGE} slot 0"));
    for (key, value) in &was.tags {
        assert_eq!(is.tags.get(key), Some(value), "tag {key} kept");
    }
    let added = added_tags(&was.tags, &is.tags);
    assert!(
        added.keys().all(|k| k.starts_with("gateway:")),
        "only the provider's tags are added: {added:?}"
    );
    assert_eq!(
        added.get("gateway:original-comment").map(String::as_str),
        Some(was.comment.as_str())
    );
}

/// The rule of `host` in `snapshot`, with its ARN.
fn rule_of<'a>(snapshot: &'a Snapshot, host: &str) -> Option<(&'a String, &'a SnapshotRule)> {
    snapshot
        .rules
        .iter()
        .find(|(_, r)| r.rule.contains(&format!("\"{host}\"")))
}

/// Every tenant of `names` kept its rule (conditions, actions, priority, and its tags, to
/// which the provider only added its own) and its records.
fn assert_tenants_unchanged(before: &Snapshot, after: &Snapshot, scene: &Scene, names: &[String]) {
    for name in names {
        let host = scene.host(name);
        let (arn, SnapshotRule { rule, tags }) =
            rule_of(before, &host).unwrap_or_else(|| panic!("{host}"));
        let (arn_after, after_rule) =
            rule_of(after, &host).unwrap_or_else(|| panic!("{host} lost its rule"));
        let tags_after = &after_rule.tags;
        assert_eq!(
            (arn, rule),
            (arn_after, &after_rule.rule),
            "{host}: its rule"
        );
        for (key, value) in tags {
            assert_eq!(tags_after.get(key), Some(value), "{host}: tag {key} kept");
        }
        let added = added_tags(tags, tags_after);
        assert!(
            added.keys().all(|k| k.starts_with("gateway:")),
            "{host}: only the provider's tags are added: {added:?}"
        );
        for kind in ["A", "AAAA"] {
            let key = format!("{host} {kind}");
            assert_eq!(before.records.get(&key), after.records.get(&key), "{key}");
            assert!(after.records.contains_key(&key), "{key} kept");
        }
    }
}

/// Removes from HCL `text` the top-level block that starts with `head` and contains `inside`.
fn without_block(text: &str, head: &str, inside: &str) -> String {
    let mut out = Vec::new();
    let mut block: Option<Vec<&str>> = None;
    for line in text.lines() {
        match block.as_mut() {
            None if line.starts_with(head) => block = Some(vec![line]),
            None => out.push(line),
            Some(lines) => {
                lines.push(line);
                if line == "}" {
                    let lines = block.take().unwrap();
                    if !lines.iter().any(|l| l.contains(inside)) {
                        out.extend(lines);
                    }
                }
            }
        }
    }
    out.join("\n")
}

/// Terraform 1.14 and later: the edge is declared over the distribution (its plan creates
/// only the edge, and only the distribution's comment and tags change); `terraform query`
/// lists the partners, reporting the one whose rule has another shape; the generated
/// configuration plans imports only and applies without changing anything a viewer's
/// request goes through; a new partner is onboarded and an imported one removed without
/// touching the others; the edge is imported again by its identity.
#[test]
fn adopted_with_query() {
    let scene = Scene::new("adoption-query");
    let names = names(30);
    let odd = "p07";
    let made = scene.build_by_hand(
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
        &[odd],
    );
    let id = made.distribution_id.clone();
    let before = scene.snapshot();
    // The distribution is full: the next partner makes the pool grow.
    let main = format!(
        "{}{}",
        scene.provider_hcl(),
        adopting_edge(&scene, &id, names.len())
    );
    let ws = scene.workspace("1.15.5", &main);
    apply(&ws, "the edge over the hand-made distribution");
    let edged = scene.snapshot();
    assert_only_marked(&before, &edged, &id);
    assert_eq!(before.rules, edged.rules, "rules untouched by the edge");
    assert_eq!(
        before.records, edged.records,
        "records untouched by the edge"
    );
    plan_is_empty(&ws, "the adopted edge reads back as declared");

    ws.write(
        "partners.tfquery.hcl",
        &format!(
            "list \"gateway_tenant\" \"all\" {{\n  provider         = gateway\n  include_resource = true\n  config {{\n    edge_id = \"{EDGE}\"\n  }}\n}}\n"
        ),
    );
    scene.reset_calls();
    let query = expect_exit(
        &ws,
        &["query", "-generate-config-out=partners.tf", "-no-color"],
        0,
        "query the edge's partners",
    );
    let calls = scene.calls();
    eprintln!(
        "[adoption-query] AWS calls of the query:\n{}",
        calls.table()
    );
    assert!(calls.mutating().is_empty(), "a query writes nothing");
    let said = format!("{}{}", query.stdout, query.stderr);
    assert!(
        said.contains(&format!("{odd}.{} is not listed", scene.seed.domain))
            && said.contains("path-pattern"),
        "the partner of another shape is reported with what differs:\n{said}"
    );
    let generated = std::fs::read_to_string(ws.path().join("partners.tf")).unwrap();
    assert_eq!(
        generated.matches("resource \"gateway_tenant\"").count(),
        names.len() - 1,
        "{generated}"
    );
    assert_eq!(generated.matches("import {").count(), names.len() - 1);
    assert!(!generated.contains(&format!("\"{odd}\"")), "{generated}");

    scene.reset_calls();
    expect_exit(
        &ws,
        &["plan", "-out=adopt.plan", "-input=false", "-no-color"],
        0,
        "plan the imports",
    );
    let calls = scene.calls();
    eprintln!(
        "[adoption-query] AWS calls of the import plan:\n{}",
        calls.table()
    );
    assert!(calls.mutating().is_empty(), "an import plan writes nothing");
    let shown = expect_exit(&ws, &["show", "-json", "adopt.plan"], 0, "show the plan");
    let plan: Json = serde_json::from_str(&shown.stdout).unwrap();
    let changes = plan["resource_changes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let (tenants, others): (Vec<Json>, Vec<Json>) = changes
        .into_iter()
        .partition(|c| c["type"] == "gateway_tenant");
    assert_eq!(tenants.len(), names.len() - 1, "one change per partner");
    for other in &others {
        assert_eq!(
            other["change"]["actions"],
            serde_json::json!(["no-op"]),
            "{other}"
        );
    }
    for change in &tenants {
        let actions = change["change"]["actions"].clone();
        assert!(
            actions == serde_json::json!(["update"]) || actions == serde_json::json!(["no-op"]),
            "{}: {actions}",
            change["address"]
        );
        assert!(
            change["change"]["importing"].is_object(),
            "{} is imported",
            change["address"]
        );
    }
    expect_exit(
        &ws,
        &["apply", "-input=false", "-no-color", "adopt.plan"],
        0,
        "apply the imports",
    );
    let adopted = scene.snapshot();
    assert_eq!(
        edged.distributions, adopted.distributions,
        "distribution untouched"
    );
    assert_eq!(edged.records, adopted.records, "records untouched");
    assert_tenants_unchanged(&edged, &adopted, &scene, &names);
    let (_, odd_rule) = rule_of(&adopted, &scene.host(odd)).unwrap();
    assert!(
        !odd_rule.tags.keys().any(|k| k.starts_with("gateway:")),
        "the partner of another shape is not taken over"
    );
    plan_is_empty(&ws, "after the imports");

    // Onboard two partners, remove an imported one: the others stay as they were, and the
    // pool grows by a distribution like the adopted one, with the edge's own cache policy.
    let gone = "p03";
    let new_names = ["newco", "newco2"];
    let added: String = new_names
        .iter()
        .map(|n| format!("\nresource \"gateway_tenant\" \"{n}\" {{\n  edge_id = gateway_shared_edge.main.id\n  name    = \"{n}\"\n}}\n"))
        .collect();
    ws.write("main.tf", &format!("{main}{added}"));
    let quoted = format!("\"{gone}\"");
    let mut partners = without_block(&generated, "resource \"gateway_tenant\"", &quoted);
    partners = without_block(&partners, "import {", &quoted);
    assert!(!partners.contains(&format!("\"{gone}\"")), "{partners}");
    ws.write("partners.tf", &partners);
    apply(&ws, "onboard newco, remove p03");
    let after = scene.snapshot();
    let stayed: Vec<String> = names
        .iter()
        .filter(|n| n.as_str() != gone && n.as_str() != odd)
        .cloned()
        .collect();
    assert_tenants_unchanged(&adopted, &after, &scene, &stayed);
    let (was, is) = (&adopted.distributions[&id], &after.distributions[&id]);
    assert_eq!(was.config, is.config, "the distribution's configuration");
    let mut expected = was.aliases.clone();
    expected.remove(&scene.host(gone));
    expected.extend(new_names.iter().map(|n| scene.host(n)));
    let grown: Vec<&String> = after.distributions.keys().filter(|d| **d != id).collect();
    assert_eq!(grown.len(), 1, "the pool grew by one distribution");
    let grown = &after.distributions[grown[0]];
    let served: std::collections::BTreeSet<String> =
        is.aliases.union(&grown.aliases).cloned().collect();
    assert_eq!(served, expected, "one partner less, two more");
    assert!(is.aliases.is_subset(&was.aliases) || is.aliases.len() == names.len());
    assert_eq!(grown.comment, format!("gateway edge {EDGE} slot 1"));
    assert!(
        !grown.config.contains(&made.cache_policy_id) && grown.config.contains(&made.origin_host),
        "the new distribution has the adopted one's origin and the edge's cache policy: {}",
        grown.config
    );
    assert!(!grown.tags.contains_key("gateway:original-comment"));
    assert!(
        rule_of(&after, &scene.host(gone)).is_none(),
        "{gone}: rule removed"
    );
    for kind in ["A", "AAAA"] {
        let key = |h: &str| format!("{h} {kind}");
        assert!(!after.records.contains_key(&key(&scene.host(gone))));
        for name in new_names {
            assert!(after.records.contains_key(&key(&scene.host(name))));
        }
    }
    for name in new_names {
        assert!(rule_of(&after, &scene.host(name)).is_some(), "{name}");
    }
    plan_is_empty(&ws, "after onboarding");

    // The account's edges are listed too.
    std::fs::remove_file(ws.path().join("partners.tfquery.hcl")).unwrap();
    ws.write(
        "edges.tfquery.hcl",
        "list \"gateway_shared_edge\" \"all\" {\n  provider = gateway\n}\n",
    );
    let edges = expect_exit(&ws, &["query", "-no-color"], 0, "query the edges");
    assert!(
        edges.stdout.contains(&format!(
            "edge {EDGE} ({}, 2 distributions)",
            scene.seed.domain
        )),
        "{}",
        edges.stdout
    );

    // The edge, forgotten by the state, comes back by its identity as it was.
    expect_exit(
        &ws,
        &["state", "rm", "gateway_shared_edge.main"],
        0,
        "forget the edge",
    );
    ws.write(
        "edge_import.tf",
        &format!("import {{\n  to       = gateway_shared_edge.main\n  identity = {{ name = \"{EDGE}\" }}\n}}\n"),
    );
    let planned = expect_exit(
        &ws,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
        2,
        "import the edge by identity",
    );
    assert!(
        planned
            .stdout
            .contains("1 to import, 0 to add, 0 to change, 0 to destroy"),
        "{}",
        planned.stdout
    );
    apply(&ws, "import the edge");
    plan_is_empty(&ws, "after importing the edge");
}

/// Terraform before 1.5 has neither `terraform query` nor `import {}`: the partners are
/// imported one by one with `terraform import` (plans show only the provider marking their
/// rules), and destroying everything removes the partners and lets the distribution go with
/// its comment and tags as they were.
#[test]
fn adopted_with_terraform_import() {
    let scene = Scene::new("adoption-import");
    let names = names(3);
    let made = scene.build_by_hand(&names.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    let id = made.distribution_id.clone();
    let before = scene.snapshot();
    let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let main = format!(
        "{}{}\nresource \"gateway_tenant\" \"t\" {{\n  for_each = toset([{}])\n  edge_id  = gateway_shared_edge.main.id\n  name     = each.key\n  tags     = {{ Project = \"partners\" }}\n}}\n",
        scene.provider_hcl(),
        adopting_edge(&scene, &id, 100),
        list.join(", ")
    );
    // A distribution that does not fit, or no explicit choice about its settings, is refused
    // at plan, before anything changes.
    let misfit = format!(
        "{}{}",
        scene.provider_hcl(),
        adopting_edge(&scene, &id, 100).replace("PriceClass_100", "PriceClass_All")
    );
    let ws = scene.workspace("1.0.3", &misfit);
    let planned = expect_exit(
        &ws,
        &["plan", "-input=false", "-no-color"],
        1,
        "plan a misfit",
    );
    assert!(
        planned.stderr.contains("adopt_distribution_ids")
            && planned.stderr.contains("its price class is PriceClass_100"),
        "{}",
        planned.stderr
    );
    ws.write(
        "main.tf",
        &misfit
            .replace("PriceClass_All", "PriceClass_100")
            .replace("  adopted_settings       = \"keep\"\n", ""),
    );
    let planned = expect_exit(
        &ws,
        &["plan", "-input=false", "-no-color"],
        1,
        "plan no choice",
    );
    assert!(
        planned.stderr.contains("Missing adopted_settings"),
        "{}",
        planned.stderr
    );
    assert_eq!(
        scene.snapshot(),
        before,
        "nothing changed by the refused plans"
    );

    ws.write("main.tf", &main);
    let refused = expect_exit(
        &ws,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        1,
        "creating partners that already run",
    );
    assert!(
        refused.stderr.contains("import it instead"),
        "{}",
        refused.stderr
    );
    let edged = scene.snapshot();
    assert_only_marked(&before, &edged, &id);
    for name in &names {
        let address = format!("gateway_tenant.t[\"{name}\"]");
        expect_exit(
            &ws,
            &[
                "import",
                "-input=false",
                "-no-color",
                &address,
                &format!("{EDGE}/{name}"),
            ],
            0,
            &format!("import {name}"),
        );
    }
    let planned = expect_exit(
        &ws,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
        2,
        "plan after the imports",
    );
    assert!(
        planned.stdout.contains(&format!(
            "0 to add, {} to change, 0 to destroy",
            names.len()
        )),
        "{}",
        planned.stdout
    );
    apply(&ws, "mark the imported partners");
    let adopted = scene.snapshot();
    assert_eq!(edged.distributions, adopted.distributions);
    assert_eq!(edged.records, adopted.records);
    assert_tenants_unchanged(&edged, &adopted, &scene, &names);
    plan_is_empty(&ws, "after the imports");

    destroy(&ws, "destroy the partners and the edge");
    let released = scene.snapshot();
    let (was, is) = (&before.distributions[&id], &released.distributions[&id]);
    assert_eq!(is.comment, was.comment, "comment given back");
    assert_eq!(is.tags, was.tags, "the provider's tags removed");
    assert_eq!(is.config, was.config, "configuration as it was");
    assert!(is.aliases.is_empty(), "the partners' aliases removed");
    scene.assert_nothing_left(&[]);
    assert_eq!(
        before.records.len() - 2 * names.len(),
        released.records.len(),
        "the partners' records removed, the zone's own kept"
    );
}

/// With `adopted_settings = "manage"` the adopted distribution takes the edge's cache policy
/// and settings (here another price class), reads back as declared, and is let go with them
/// when the edge is destroyed; the edge's policies then stay, used by it.
#[test]
fn adopted_and_managed() {
    let scene = Scene::new("adoption-managed");
    let names = names(2);
    let made = scene.build_by_hand(&names.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    let id = made.distribution_id.clone();
    let before = scene.snapshot();
    let edge = adopting_edge(&scene, &id, 100)
        .replace("PriceClass_100", "PriceClass_All")
        .replace("\"keep\"", "\"manage\"");
    let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let main = format!(
        "{}{edge}\nresource \"gateway_tenant\" \"t\" {{\n  for_each = toset([{}])\n  edge_id  = gateway_shared_edge.main.id\n  name     = each.key\n  tags     = {{ Project = \"partners\" }}\n}}\n",
        scene.provider_hcl(),
        list.join(", ")
    );
    let ws = scene.workspace("1.15.5", &format!("{}{edge}", scene.provider_hcl()));
    apply(&ws, "the edge managing the hand-made distribution");
    let managed = scene.snapshot();
    let (was, is) = (&before.distributions[&id], &managed.distributions[&id]);
    assert_eq!(was.aliases, is.aliases);
    assert!(is.config.contains("PriceClassAll"), "{}", is.config);
    assert!(!is.config.contains(&made.cache_policy_id), "{}", is.config);
    assert!(is.config.contains(&made.origin_host));
    assert_eq!(before.rules, managed.rules, "rules untouched by the edge");
    assert_eq!(
        before.records, managed.records,
        "records untouched by the edge"
    );
    plan_is_empty(&ws, "the managed edge reads back as declared");

    ws.write("main.tf", &main);
    for name in &names {
        ws.write(
            &format!("import_{name}.tf"),
            &format!(
                "import {{\n  to = gateway_tenant.t[\"{name}\"]\n  id = \"{EDGE}/{name}\"\n}}\n"
            ),
        );
    }
    apply(&ws, "import the partners by id");
    assert_tenants_unchanged(&managed, &scene.snapshot(), &scene, &names);
    plan_is_empty(&ws, "after the imports");

    destroy(&ws, "destroy the partners and the edge");
    let released = scene.snapshot();
    let is = &released.distributions[&id];
    assert_eq!(is.comment, was.comment, "comment given back");
    assert_eq!(is.tags, was.tags, "the provider's tags removed");
    assert!(
        is.config.contains("PriceClassAll"),
        "it keeps the edge's settings"
    );
    let policies = scene.custom_policies();
    assert!(
        policies.contains(&format!("cache policy gateway-{EDGE}")),
        "the edge's policies stay with the distribution using them: {policies:?}"
    );
}
