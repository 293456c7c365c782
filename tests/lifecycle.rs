//! `gateway_shared_edge` and `gateway_tenant` end to end: a real Terraform (1.15.5 and 1.0.3)
//! applies configurations against the honest emulator, and each test ends by checking, in the
//! emulator, that nothing the provider created is left.
//!
//! Every test has its own emulator (seeded by `testbed/seed.py`), so tests run in parallel; the
//! provider polls every 20 ms and the emulator deploys after one read.
//!
//! `cargo test --test lifecycle` (add `-- --nocapture` for step timings; `v1_0_3::` or
//! `v1_15_5::` to pick a Terraform).

mod common;
mod scene;

use std::collections::BTreeSet;

use scene::{
    apply, apply_fails, destroy, expect_exit, flat, plan_has_changes, plan_is_empty, state, Scene,
    EDGE,
};
use serde_json::json;

/// A tenant resource `gateway_tenant.<key>` on the scene's edge, with `extra` lines.
/// An edge with one rule per tenant, for the tests of what only such rules have (a tenant's
/// tags, a pinned priority, a rule of its own to drift or fail).
const PER_TENANT: &str = "  rule_layout = \"per_tenant\"";

fn tenant(key: &str, name: &str, extra: &str) -> String {
    format!(
        "\nresource \"gateway_tenant\" \"{key}\" {{\n  edge_id = gateway_shared_edge.main.id\n  name    = \"{name}\"\n{extra}\n}}\n"
    )
}

/// The provider, the edge (with `edge_extra` settings) and `gateway_tenant.t[...]` on it for
/// each of `names`.
fn with_edge(scene: &Scene, edge_extra: &str, names: &[String]) -> String {
    format!(
        "{}{}{}",
        scene.provider_hcl(),
        scene.edge_hcl(edge_extra),
        tenants_for_each("gateway_shared_edge.main.id", names)
    )
}

/// `gateway_tenant.t[...]` for each of `names`.
fn tenants_for_each(edge_id: &str, names: &[String]) -> String {
    let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!(
        "\nresource \"gateway_tenant\" \"t\" {{\n  for_each = toset([{}])\n  edge_id  = {edge_id}\n  name     = each.key\n}}\n",
        list.join(", ")
    )
}

fn names(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix}{i:03}")).collect()
}

fn strs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

/// The state's attributes of `address`, without `timeouts` (never read back from AWS).
fn attributes(ws: &common::terraform::Workspace, address: &str) -> serde_json::Value {
    let (mut values, _) = state(ws)
        .remove(address)
        .unwrap_or_else(|| panic!("{address} not in state"));
    values.as_object_mut().unwrap().remove("timeouts");
    values
}

/// Create three tenants, plan nothing, import one into this state and one into a fresh state
/// (both plan nothing and match what create stored), update tags and a pinned priority in
/// place, destroy.
fn lifecycle(version: &'static str) {
    let scene = Scene::new(&format!("lifecycle-{version}"));
    let config = |acme: &str, kite: &str| {
        format!(
            "{}{}{}{}{}",
            scene.provider_hcl(),
            scene.edge_hcl(PER_TENANT),
            tenant("acme", "acme", acme),
            tenant("zeta", "zeta", ""),
            tenant("kite", "kite", kite),
        )
    };
    let ws = scene.workspace(version, &config("  tags = {\n    team = \"emea\"\n  }", ""));
    apply(&ws, "create edge + 3 tenants");
    let served = scene.assert_served(&["acme", "zeta", "kite"], 100);
    assert_eq!(served.aliases_per_distribution, vec![3]);
    plan_is_empty(&ws, "plan after create");

    // Import into this state: what import and read restore equals what create stored.
    let created = attributes(&ws, "gateway_tenant.acme");
    assert_eq!(created["host"], "acme.gateway.example.com");
    assert_eq!(created["dns_record_types"], json!(["A", "AAAA"]));
    scene::expect_exit(&ws, &["state", "rm", "gateway_tenant.acme"], 0, "state rm");
    scene::expect_exit(
        &ws,
        &[
            "import",
            "-input=false",
            "-no-color",
            "gateway_tenant.acme",
            &format!("{EDGE}/acme"),
        ],
        0,
        "import acme",
    );
    assert_eq!(
        attributes(&ws, "gateway_tenant.acme"),
        created,
        "imported acme differs from created acme"
    );
    plan_is_empty(&ws, "plan after import");

    // Import into a fresh state that knows the edge only by its id: with `terraform import`,
    // and on Terraform 1.12 and later also with an `import {}` block naming the identity.
    let kite = format!(
        "{}\nresource \"gateway_tenant\" \"kite\" {{\n  edge_id = \"{EDGE}\"\n  name    = \"kite\"\n}}\n",
        scene.provider_hcl()
    );
    let other = scene.workspace(version, &kite);
    scene::expect_exit(
        &other,
        &[
            "import",
            "-input=false",
            "-no-color",
            "gateway_tenant.kite",
            &format!("{EDGE}/kite"),
        ],
        0,
        "import kite into a fresh state",
    );
    assert_eq!(
        attributes(&other, "gateway_tenant.kite"),
        attributes(&ws, "gateway_tenant.kite"),
        "kite imported into a fresh state differs from kite as created"
    );
    plan_is_empty(&other, "plan of the fresh state after import");
    scene::expect_exit(
        &other,
        &["state", "rm", "gateway_tenant.kite"],
        0,
        "state rm kite from the fresh state",
    );
    if version != "1.0.3" {
        let by_identity = scene.workspace(
            version,
            &format!(
                "{kite}\nimport {{\n  to       = gateway_tenant.kite\n  identity = {{\n    edge_id = \"{EDGE}\"\n    name    = \"kite\"\n  }}\n}}\n"
            ),
        );
        let out = apply(&by_identity, "import block with identity");
        assert!(
            flat(&out).contains("1 imported, 0 added, 0 changed, 0 destroyed"),
            "{}",
            out.stdout
        );
        assert_eq!(
            attributes(&by_identity, "gateway_tenant.kite"),
            attributes(&ws, "gateway_tenant.kite"),
            "kite imported by identity differs from kite as created"
        );
        plan_is_empty(&by_identity, "plan after import by identity");
        scene::expect_exit(
            &by_identity,
            &["state", "rm", "gateway_tenant.kite"],
            0,
            "state rm kite from the state importing by identity",
        );
    }

    // Update in place: acme's tags, kite's pinned priority.
    let kite_rule = attributes(&ws, "gateway_tenant.kite")["listener_rule_arn"].clone();
    ws.write(
        "main.tf",
        &config(
            "  tags = {\n    team = \"emea\"\n    tier = \"gold\"\n  }",
            "  priority = 4242",
        ),
    );
    let out = apply(&ws, "update tags and priority");
    assert!(
        flat(&out).contains("0 added, 2 changed, 0 destroyed"),
        "an in-place update of two tenants: {}",
        out.stdout
    );
    plan_is_empty(&ws, "plan after update");
    let served = scene.assert_served(&["acme", "zeta", "kite"], 100);
    let acme_rule = &served.tenants["acme.gateway.example.com"].1;
    let tags = scene.rule_tags(acme_rule);
    assert_eq!(
        tags.get("team").map(String::as_str),
        Some("emea"),
        "{tags:?}"
    );
    assert_eq!(
        tags.get("tier").map(String::as_str),
        Some("gold"),
        "{tags:?}"
    );
    let kite = scene
        .rules()
        .into_iter()
        .find(|r| r.hosts == ["kite.gateway.example.com"])
        .unwrap();
    assert_eq!(kite.priority, "4242");
    assert_eq!(
        json!(kite.arn),
        kite_rule,
        "pinning a priority keeps the rule"
    );

    destroy(&ws, "destroy");
    scene.assert_nothing_left(&[]);
}

/// Delete a tenant's alias, another's rule and a third's A record out of band: the plan shows
/// the repair, apply restores exactly what is missing, the next plan is empty. A fourth tenant
/// whose every part is deleted leaves the state and is planned anew.
fn drift(version: &'static str) {
    let scene = Scene::new(&format!("drift-{version}"));
    let tenants = ["alpha", "bravo", "charlie", "delta"].map(String::from);
    let ws = scene.workspace(version, &with_edge(&scene, PER_TENANT, &tenants));
    apply(&ws, "create");
    let before = scene.assert_served(&strs(&tenants), 100);

    scene.remove_alias("alpha.gateway.example.com");
    scene.delete_rule_of("bravo.gateway.example.com");
    scene.delete_record("charlie.gateway.example.com", "A");
    let delta = "delta.gateway.example.com";
    scene.delete_record(delta, "A");
    scene.delete_record(delta, "AAAA");
    scene.delete_rule_of(delta);
    scene.remove_alias(delta);

    let plan = plan_has_changes(&ws, "plan after drift");
    let text = flat(&plan);
    for t in ["alpha", "bravo", "charlie"] {
        let address = format!("# gateway_tenant.t[\"{t}\"]");
        assert!(
            text.contains(&format!("{address} will be updated in-place"))
                || text.contains(&format!("{address} must be replaced")),
            "the plan repairs {t}:\n{}",
            plan.stdout
        );
    }
    assert!(
        text.contains("# gateway_tenant.t[\"delta\"] will be created"),
        "delta, gone entirely, is created anew:\n{}",
        plan.stdout
    );

    apply(&ws, "repair");
    let after = scene.assert_served(&strs(&tenants), 100);
    plan_is_empty(&ws, "plan after repair");
    let rule = |served: &scene::Served, t: &str| served.tenants[&scene.host(t)].1.clone();
    assert_eq!(
        rule(&before, "alpha"),
        rule(&after, "alpha"),
        "alpha keeps its rule"
    );
    assert_ne!(
        rule(&before, "bravo"),
        rule(&after, "bravo"),
        "bravo gets a new rule"
    );
    assert_eq!(
        rule(&before, "charlie"),
        rule(&after, "charlie"),
        "charlie keeps its rule"
    );

    destroy(&ws, "destroy");
    scene.assert_nothing_left(&[]);
}

/// A record and an alias for tenants' hosts that the provider did not create: creating those
/// tenants fails (at apply when the edge is new, at plan once it exists) with errors naming the
/// objects, and the objects are untouched.
fn foreign_objects(version: &'static str) {
    let scene = Scene::new(&format!("foreign-{version}"));
    let evil = "evil.gateway.example.com";
    let rogue = "rogue.gateway.example.com";
    scene.create_a_record(evil, "192.0.2.66");
    let (foreign_id, foreign_etag) = scene.create_foreign_distribution(rogue);
    let records_before: Vec<_> = scene
        .records()
        .into_iter()
        .filter(|r| r.name == evil)
        .collect();

    let with = |extra: &str| {
        format!(
            "{}{}{}{}",
            scene.provider_hcl(),
            scene.edge_hcl(""),
            tenant("acme", "acme", ""),
            extra
        )
    };
    let intruders = format!(
        "{}{}",
        tenant("evil", "evil", ""),
        tenant("rogue", "rogue", "")
    );
    let ws = scene.workspace(version, &with(&intruders));
    let check = |text: &str, when: &str| {
        for needle in [
            "gateway tenant evil",
            &format!("Route53 record {evil}"),
            "192.0.2.66",
            "gateway tenant rogue",
            &format!("CloudFront alias {rogue}"),
            &foreign_id,
        ] {
            assert!(
                text.contains(needle),
                "{when}: the errors name {needle:?}:\n{text}"
            );
        }
    };
    let first = apply_fails(&ws, "apply with foreign objects, edge new");
    check(&flat(&first), "at apply");
    let second = apply_fails(&ws, "apply with foreign objects, edge existing");
    check(&flat(&second), "at plan");
    assert!(
        !flat(&second).contains("Creating..."),
        "the second attempt fails in the plan:\n{}",
        second.stdout
    );

    let untouched = || {
        let (etag, aliases) = scene.distribution_state(&foreign_id);
        assert_eq!(etag, foreign_etag, "the foreign distribution was updated");
        assert_eq!(aliases, vec![rogue.to_string()]);
        let records: Vec<_> = scene
            .records()
            .into_iter()
            .filter(|r| r.name == evil)
            .collect();
        assert_eq!(records, records_before, "the foreign record changed");
    };
    untouched();
    scene.assert_served(&["acme"], 100);

    ws.write("main.tf", &with(""));
    apply(&ws, "apply without the intruders");
    plan_is_empty(&ws, "plan");
    destroy(&ws, "destroy");
    untouched();
    scene.assert_nothing_left(&[evil]);
}

/// Route53 refuses a records call once (a non-retryable AccessDenied; the tenants created
/// together share that call, so each of them is refused). First the creates' rollbacks
/// succeed: a refused tenant leaves nothing and the next apply creates it. Then a rollback
/// fails too (DeleteRule refused): what was made stays in state, tainted, and the next apply
/// replaces it. Either way the next apply converges with one alias and one rule per tenant.
fn failure_midway(version: &'static str) {
    let scene = Scene::new(&format!("failure-{version}"));
    let route53_refuses = json!({
        "match": "route53:ChangeResourceRecordSets", "error": "custom",
        "code": "AccessDenied", "status": 403, "message": "injected: not allowed", "count": 1
    });
    let first = names("a", 0..3);
    let both: Vec<String> = first.iter().cloned().chain(names("b", 0..3)).collect();
    let config = |tenants: &[String]| with_edge(&scene, PER_TENANT, tenants);
    let in_state = |ws: &common::terraform::Workspace| -> Vec<(String, bool)> {
        state(ws)
            .into_iter()
            .filter(|(address, _)| address.starts_with("gateway_tenant."))
            .map(|(_, (values, tainted))| (values["name"].as_str().unwrap().to_string(), tainted))
            .collect()
    };

    // 1. The rollback works: the failed tenant leaves nothing behind.
    let ws = scene.workspace(version, &config(&first));
    scene.fault(route53_refuses.clone());
    let out = apply_fails(&ws, "apply, records refused once");
    assert!(flat(&out).contains("AccessDenied"), "{}", out.stdout);
    let kept = in_state(&ws);
    assert!(kept.len() < 3, "a refused tenant is not in state: {kept:?}");
    assert!(kept.iter().all(|(_, tainted)| !tainted), "{kept:?}");
    let kept_names: Vec<&str> = kept.iter().map(|(n, _)| n.as_str()).collect();
    scene.assert_served(&kept_names, 100);
    // The refused ones left nothing: no alias, no rule.
    let aliases: Vec<String> = scene.pool().into_iter().flat_map(|d| d.aliases).collect();
    assert_eq!(aliases.len(), kept.len(), "{aliases:?}");
    assert_eq!(
        scene.rules().iter().filter(|r| !r.is_default).count(),
        kept.len()
    );
    apply(&ws, "apply again");
    scene.assert_served(&strs(&first), 100);
    plan_is_empty(&ws, "plan after convergence");

    // 2. The rollback fails: the partial tenant is kept in state, tainted, and replaced.
    ws.write("main.tf", &config(&both));
    scene.fault(json!([route53_refuses, {
        "match": "elbv2:DeleteRule", "error": "custom",
        "code": "AccessDenied", "status": 403, "message": "injected: not allowed", "count": 1
    }]));
    let out = apply_fails(&ws, "apply, records and rollback refused");
    assert!(flat(&out).contains("AccessDenied"), "{}", out.stdout);
    let kept = in_state(&ws);
    let tainted: Vec<&str> = kept
        .iter()
        .filter(|(_, t)| *t)
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(tainted.len(), 1, "the partial tenant is tainted: {kept:?}");
    assert!(
        (4..=6).contains(&kept.len()),
        "the first three and the partial tenant are in state: {kept:?}"
    );
    // What exists is all in state: one alias and one rule per tenant at most. The rollback
    // removes the rule and the alias together, so the tainted tenant may have lost its alias
    // while its rule stayed.
    let pool_aliases: Vec<String> = scene.pool().into_iter().flat_map(|d| d.aliases).collect();
    let unique: BTreeSet<&String> = pool_aliases.iter().collect();
    assert_eq!(unique.len(), pool_aliases.len(), "{pool_aliases:?}");
    let in_state_hosts: BTreeSet<String> = kept.iter().map(|(n, _)| scene.host(n)).collect();
    assert!(
        unique.iter().all(|a| in_state_hosts.contains(*a)),
        "an alias of no tenant in state: {pool_aliases:?}"
    );
    assert!(
        kept.iter()
            .filter(|(_, tainted)| !tainted)
            .all(|(n, _)| unique.contains(&scene.host(n))),
        "a tenant in state lost its alias: {pool_aliases:?}"
    );
    assert_eq!(
        scene.rules().iter().filter(|r| !r.is_default).count(),
        kept.len()
    );
    apply(&ws, "apply again: replace the tainted tenant");
    scene.assert_served(&strs(&both), 100);
    plan_is_empty(&ws, "plan after convergence");

    destroy(&ws, "destroy");
    scene.assert_nothing_left(&[]);
}

/// 250 tenants (`GATEWAY_MANY_TENANTS` to try another number) at parallelism 10 on AWS's
/// default quotas, 100 rules per load balancer and 100 aliases per distribution: with one rule
/// per tenant the plan is refused, naming `rule_layout`, before any AWS change; with grouped
/// rules (the default) every tenant is served by a rule of at most five hosts, the pool has
/// three distributions none over 100, and no served host is ever without a rule, through the
/// apply and the destroy.
fn many_tenants(version: &'static str) {
    let scene = Scene::new(&format!("many-{version}"));
    let count: usize = std::env::var("GATEWAY_MANY_TENANTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(250);
    let tenants = names("p", 0..count);
    let config = |edge_extra: &str| with_edge(&scene, edge_extra, &tenants);

    let ws = scene.workspace(version, &config(PER_TENANT));
    scene.reset_calls();
    let out = apply_fails(
        &ws,
        "apply with one rule per tenant at the default rule quota",
    );
    let text = flat(&out);
    assert!(
        text.contains("max_listener_rules")
            && text.contains("rule_layout = \"grouped\"")
            && !text.contains("Creating..."),
        "refused in the plan for the rule quota:\n{text}"
    );
    let calls = scene.calls();
    assert!(
        calls.mutating().is_empty(),
        "a refused plan changes nothing in AWS, yet:\n{}",
        calls.table()
    );
    scene.assert_nothing_left(&[]);

    ws.write("main.tf", &config(""));
    scene.reset_calls();
    let started = std::time::Instant::now();
    apply(&ws, &format!("apply {count} tenants, grouped"));
    let applied = (started.elapsed(), scene.calls());
    let served = scene.assert_served(&strs(&tenants), 100);
    let rules = scene.rules().into_iter().filter(|r| !r.is_default).count();
    assert_eq!(rules, count.div_ceil(5), "five hosts a rule");
    assert_eq!(
        served.aliases_per_distribution.len(),
        count.div_ceil(100),
        "{:?}",
        served.aliases_per_distribution
    );
    scene.reset_calls();
    plan_is_empty(&ws, &format!("plan after {count} tenants"));
    let planned = scene.calls();
    scene.reset_calls();
    destroy(&ws, &format!("destroy {count} tenants"));
    let destroyed = scene.calls();
    scene.assert_nothing_left(&[]);
    assert_eq!(scene.uncovered(), [], "a served host lost its rule");
    let per_tenant = |calls: &scene::Calls| calls.total as f64 / count as f64;
    eprintln!(
        "[many-{version}] {count} tenants, {rules} rules, {} distributions; AWS calls per tenant: apply {:.2} (in {:.1?}), plan {:.2}, destroy {:.2}\napply:\n{}",
        served.aliases_per_distribution.len(),
        per_tenant(&applied.1),
        applied.0,
        per_tenant(&planned),
        per_tenant(&destroyed),
        applied.1.table()
    );
}

/// The edge in state A; tenants 1-60 in state B and 61-120 in state C, applied at the same
/// time with 50 aliases per distribution: all served, none over the cap, each state's hosts
/// in groups of its own. Then B removes half its tenants while C adds thirty, at the same
/// time, and both destroy at the same time: no served host is ever without a rule.
fn two_states(version: &'static str) {
    let scene = Scene::new(&format!("two-states-{version}"));
    scene.configure(json!({"elbv2_rules_per_alb_quota": 200}));
    let edge = scene.workspace(
        version,
        &format!(
            "{}{}",
            scene.provider_hcl(),
            scene.edge_hcl("  max_aliases_per_distribution = 50")
        ),
    );
    apply(&edge, "state A: the edge");

    let b_names = names("b", 1..61);
    let c_names = names("c", 61..121);
    let tenants_ws = |names: &[String]| {
        scene.workspace(
            version,
            &format!(
                "{}{}",
                scene.provider_hcl(),
                tenants_for_each(&format!("\"{EDGE}\""), names)
            ),
        )
    };
    let b = tenants_ws(&b_names);
    let c = tenants_ws(&c_names);
    std::thread::scope(|s| {
        let one = s.spawn(|| apply(&b, "state B: 60 tenants"));
        let two = s.spawn(|| apply(&c, "state C: 60 tenants"));
        one.join().unwrap();
        two.join().unwrap();
    });
    let all: Vec<String> = b_names.iter().chain(&c_names).cloned().collect();
    let served = scene.assert_served(&strs(&all), 50);
    assert_eq!(
        served.aliases_per_distribution.iter().sum::<usize>(),
        120,
        "{:?}",
        served.aliases_per_distribution
    );
    // Both runs grow the pool at once; one caller reference per slot keeps them from making a
    // slot twice, so 120 aliases at 50 each take exactly three distributions.
    assert_eq!(
        served.aliases_per_distribution.len(),
        3,
        "{:?}",
        served.aliases_per_distribution
    );
    plan_is_empty(&b, "state B: plan");
    plan_is_empty(&c, "state C: plan");
    let groups_of_one_state = |what: &str| {
        for rule in scene.rules().into_iter().filter(|r| !r.is_default) {
            let states: BTreeSet<char> =
                rule.hosts.iter().filter_map(|h| h.chars().next()).collect();
            assert_eq!(
                states.len(),
                1,
                "{what}: rule {} mixes states: {:?}",
                rule.arn,
                rule.hosts
            );
        }
    };
    groups_of_one_state("after both applies");
    assert_eq!(
        scene.rules().iter().filter(|r| !r.is_default).count(),
        24,
        "twelve groups of five each"
    );

    let b_kept = &b_names[30..];
    let c_more: Vec<String> = c_names
        .iter()
        .cloned()
        .chain(names("c", 121..151))
        .collect();
    b.write(
        "main.tf",
        &format!(
            "{}{}",
            scene.provider_hcl(),
            tenants_for_each(&format!("\"{EDGE}\""), b_kept)
        ),
    );
    c.write(
        "main.tf",
        &format!(
            "{}{}",
            scene.provider_hcl(),
            tenants_for_each(&format!("\"{EDGE}\""), &c_more)
        ),
    );
    std::thread::scope(|s| {
        let one = s.spawn(|| apply(&b, "state B: remove 30 tenants"));
        let two = s.spawn(|| apply(&c, "state C: add 30 tenants"));
        one.join().unwrap();
        two.join().unwrap();
    });
    let all: Vec<String> = b_kept.iter().chain(&c_more).cloned().collect();
    scene.assert_served(&strs(&all), 50);
    groups_of_one_state("after removing and adding at once");
    assert_eq!(scene.uncovered(), [], "a served host lost its rule");

    std::thread::scope(|s| {
        let one = s.spawn(|| destroy(&b, "state B: destroy"));
        let two = s.spawn(|| destroy(&c, "state C: destroy"));
        one.join().unwrap();
        two.join().unwrap();
    });
    destroy(&edge, "state A: destroy");
    scene.assert_nothing_left(&[]);
    assert_eq!(scene.uncovered(), [], "a served host lost its rule");
}

/// Turning IPv6 off and on again on an edge with tenants converges in one apply each: the
/// tenants' AAAA records follow the edge.
fn ipv6_toggle(version: &'static str) {
    let scene = Scene::new(&format!("ipv6-{version}"));
    let tenants = ["acme", "zeta"].map(String::from);
    let config = |ipv6: bool| with_edge(&scene, &format!("  ipv6_enabled = {ipv6}"), &tenants);
    let ws = scene.workspace(version, &config(true));
    apply(&ws, "create with IPv6");
    scene.assert_served(&strs(&tenants), 100);
    for ipv6 in [false, true] {
        ws.write("main.tf", &config(ipv6));
        apply(&ws, &format!("ipv6_enabled = {ipv6}"));
        plan_is_empty(&ws, &format!("plan after ipv6_enabled = {ipv6}"));
        let aaaa = scene
            .address_records()
            .into_iter()
            .filter(|r| r.kind == "AAAA")
            .count();
        assert_eq!(aaaa, if ipv6 { 2 } else { 0 }, "AAAA records");
    }
    destroy(&ws, "destroy");
    scene.assert_nothing_left(&[]);
}

/// An edge whose first distribution does not deploy within `timeouts.create`: the apply fails,
/// but what was made is tracked (in state, tainted), so the next apply converges and destroy
/// leaves nothing.
fn edge_create_timeout(version: &'static str) {
    let scene = Scene::new(&format!("edge-timeout-{version}"));
    scene.configure(json!({"cloudfront_deploy_reads": 1_000_000}));
    let ws = scene.workspace(
        version,
        &format!(
            "{}{}",
            scene.provider_hcl(),
            scene.edge_hcl("  timeouts {\n    create = \"2s\"\n  }")
        ),
    );
    let out = apply_fails(&ws, "create, never deployed");
    assert!(flat(&out).contains("Timeout"), "{}", out.stdout);
    let kept = state(&ws);
    assert!(
        kept.get("gateway_shared_edge.main")
            .is_some_and(|(_, tainted)| *tainted),
        "the edge is kept in state, tainted: {kept:?}"
    );
    scene.configure(json!({"cloudfront_deploy_reads": 1}));
    apply(&ws, "apply again once CloudFront deploys");
    plan_is_empty(&ws, "plan");
    destroy(&ws, "destroy");
    scene.assert_nothing_left(&[]);
}

/// Tenants do not wait for CloudFront: with a deployment slower than the data source's
/// `timeouts.read`, a new tenant is created at once and `gateway_edge_deployment`, read after
/// it, is what times out; once CloudFront has deployed, the next apply ends with the data
/// source read, every tenant served, and the plan after it empty.
fn served_after_deployment(version: &'static str) {
    let scene = Scene::new(&format!("deployment-{version}"));
    let config = |tenants: &[&str]| {
        let list: Vec<String> = tenants.iter().map(|t| format!("\"{t}\"")).collect();
        format!(
            "{}{}\nresource \"gateway_tenant\" \"t\" {{\n  for_each = toset([{}])\n  edge_id  = gateway_shared_edge.main.id\n  name     = each.key\n}}\n\ndata \"gateway_edge_deployment\" \"main\" {{\n  edge_id    = gateway_shared_edge.main.id\n  depends_on = [gateway_tenant.t]\n  timeouts {{\n    read = \"3s\"\n  }}\n}}\n\noutput \"served\" {{\n  value = data.gateway_edge_deployment.main.hosts\n}}\n",
            scene.provider_hcl(),
            scene.edge_hcl(""),
            list.join(", ")
        )
    };
    let ws = scene.workspace(version, &config(&["acme"]));
    let out = apply(&ws, "create edge + acme, waiting for the deployment");
    assert!(
        flat(&out).contains("acme.gateway.example.com"),
        "{}",
        out.stdout
    );

    // CloudFront now takes 6 s to deploy a change: longer than the read's 3 s.
    scene.configure(json!({"timing": {
        "scale": 1, "latency_ms": {}, "rate_limits": {},
        "cloudfront_deploy_s": 6, "route53_insync_s": 1
    }}));
    ws.write("main.tf", &config(&["acme", "slow"]));
    let started = std::time::Instant::now();
    let out = apply_fails(&ws, "create slow, never deployed");
    let took = started.elapsed();
    let text = flat(&out);
    assert!(
        text.contains("slow\"]: Creation complete"),
        "the tenant did not wait:\n{text}"
    );
    assert!(
        text.contains("Timeout") && text.contains("timeouts.read"),
        "{text}"
    );
    assert!(
        took < std::time::Duration::from_secs(15),
        "a 3s read timeout took {took:?}:\n{text}"
    );
    let in_state: Vec<String> = state(&ws)
        .into_iter()
        .filter(|(address, (_, tainted))| address.starts_with("gateway_tenant.") && !tainted)
        .map(|(address, _)| address)
        .collect();
    assert_eq!(in_state.len(), 2, "{in_state:?}");

    std::thread::sleep(std::time::Duration::from_secs(6));
    let out = apply(&ws, "apply again once CloudFront has deployed");
    scene.configure(json!({"timing": null}));
    assert!(
        flat(&out).contains("slow.gateway.example.com"),
        "{}",
        out.stdout
    );
    scene.assert_served(&["acme", "slow"], 100);
    plan_is_empty(&ws, "plan");
    destroy(&ws, "destroy");
    scene.assert_nothing_left(&[]);
}

/// A tenant's listener rule is written while CloudFront takes its time over the alias, and its
/// records only once the alias is accepted: with UpdateDistribution slow, the rule write is
/// answered before the alias write, the record change after it. Removing a tenant takes its
/// records away first, then its rule and alias together: with the rule write slow, the alias
/// write is answered first.
fn steps_overlap(version: &'static str) {
    let scene = Scene::new(&format!("overlap-{version}"));
    let config = |names: &[&str]| {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        with_edge(&scene, "", &names)
    };
    let ws = scene.workspace(version, &config(&["acme"]));
    apply(&ws, "create edge + acme");

    let slow_alias = json!({"timing": {
        "scale": 1, "latency_ms": {"cloudfront:UpdateDistribution": 1500}, "rate_limits": {},
        "cloudfront_deploy_s": 1, "route53_insync_s": 1
    }});
    let position = |writes: &[String], prefix: &str| {
        writes
            .iter()
            .position(|w| w.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} write among {writes:?}"))
    };
    scene.reset_calls();
    scene.configure(slow_alias.clone());
    ws.write("main.tf", &config(&["acme", "beta"]));
    apply(&ws, "create beta while the alias write is slow");
    let writes = scene.served_writes();
    let alias = position(&writes, "cloudfront:UpdateDistribution");
    assert!(
        position(&writes, "elbv2:") < alias,
        "the rule waited for the alias: {writes:?}"
    );
    assert!(
        position(&writes, "route53:ChangeResourceRecordSets") > alias,
        "the records came before the alias was accepted: {writes:?}"
    );

    // Now the rule write is the slow one: the alias is removed meanwhile.
    scene.reset_calls();
    scene.configure(json!({"timing": {
        "scale": 1, "latency_ms": {"elbv2:ModifyRule": 1500, "elbv2:DeleteRule": 1500},
        "rate_limits": {}, "cloudfront_deploy_s": 1, "route53_insync_s": 1
    }}));
    ws.write("main.tf", &config(&["acme"]));
    apply(&ws, "remove beta while the rule write is slow");
    scene.configure(json!({"timing": null}));
    let writes = scene.served_writes();
    let alias = position(&writes, "cloudfront:UpdateDistribution");
    let records = position(&writes, "route53:ChangeResourceRecordSets");
    let rule = position(&writes, "elbv2:");
    assert!(
        records < alias && alias < rule,
        "not the records first, then the rule and the alias together: {writes:?}"
    );
    scene.assert_served(&["acme"], 100);
    plan_is_empty(&ws, "plan");
    destroy(&ws, "destroy");
    scene.assert_nothing_left(&[]);
}

/// A tenant has one owner. Declared twice in one configuration, the plan fails at `name`;
/// declared in a second state while the first serves it, the second's plan and apply fail at
/// `name` with "already managed ... import", the first keeps serving, and destroying the
/// second changes nothing in AWS. Read-only plan-time checks: a missing listener, target
/// group or hosted zone, a priority used on the listener or pinned twice, each refused by
/// `terraform plan` with no AWS write.
fn one_owner(version: &'static str) {
    let scene = Scene::new(&format!("one-owner-{version}"));
    let edge = scene.edge_hcl(PER_TENANT);
    let with = |tenants: &str| format!("{}{edge}{tenants}", scene.provider_hcl());

    // One configuration, the same tenant twice: refused at plan time, nothing written.
    let twice = scene.workspace(
        version,
        &with(&format!(
            "{}{}",
            tenant("a", "acme", ""),
            tenant("b", "acme", "")
        )),
    );
    scene.reset_calls();
    let out = expect_exit(
        &twice,
        &["plan", "-input=false", "-no-color"],
        1,
        "plan: acme twice",
    );
    let text = flat(&out);
    assert_eq!(text.matches("Error: ").count(), 1, "{text}");
    assert!(
        text.contains("more than once") && text.contains("name"),
        "{text}"
    );
    assert!(
        scene.calls().mutating().is_empty(),
        "{}",
        scene.calls().table()
    );

    // State A serves acme.
    let first = scene.workspace(version, &with(&tenant("acme", "acme", "  priority = 10")));
    apply(&first, "state A: edge and acme");
    let served = scene.assert_served(&["acme"], 100);

    // State B declares acme too: refused at plan and at apply, at `name`.
    let second = scene.workspace(
        version,
        &format!(
            "{}{}",
            scene.provider_hcl(),
            tenant("acme", "acme", "")
                .replace("gateway_shared_edge.main.id", &format!("\"{EDGE}\""))
        ),
    );
    scene.reset_calls();
    let out = expect_exit(
        &second,
        &["plan", "-input=false", "-no-color"],
        1,
        "state B: plan acme",
    );
    let text = flat(&out);
    assert!(
        text.contains("already managed") && text.contains("terraform import"),
        "{text}"
    );
    assert!(
        text.contains("in resource \"gateway_tenant\" \"acme\"") && text.contains("name"),
        "{text}"
    );
    let out = apply_fails(&second, "state B: apply acme");
    assert!(flat(&out).contains("already managed"), "{}", flat(&out));
    assert!(
        scene.calls().mutating().is_empty(),
        "{}",
        scene.calls().table()
    );
    destroy(&second, "state B: destroy (nothing of its own)");
    assert!(
        scene.calls().mutating().is_empty(),
        "{}",
        scene.calls().table()
    );
    assert_eq!(scene.assert_served(&["acme"], 100).tenants, served.tenants);
    plan_is_empty(&first, "state A: plan");

    // Pinned priorities: one used on the listener, one pinned twice in a plan.
    first.write(
        "main.tf",
        &with(&format!(
            "{}{}{}{}",
            tenant("acme", "acme", "  priority = 10"),
            tenant("zeta", "zeta", "  priority = 10"),
            tenant("y1", "y1", "  priority = 20"),
            tenant("y2", "y2", "  priority = 20"),
        )),
    );
    scene.reset_calls();
    let out = expect_exit(
        &first,
        &["plan", "-input=false", "-no-color"],
        1,
        "plan: priorities in use",
    );
    let text = flat(&out);
    assert!(
        text.contains("Priority 10 of listener") && text.contains("is used by rule"),
        "{text}"
    );
    assert!(text.contains("Priority 20 is pinned by tenant"), "{text}");
    assert!(
        scene.calls().mutating().is_empty(),
        "{}",
        scene.calls().table()
    );

    // Targets that do not exist: each reported on its attribute, before anything is made.
    let s = &scene.seed;
    let last_segment_zeroed = |arn: &str| {
        let (head, _) = arn.rsplit_once('/').unwrap();
        format!("{head}/0000000000000000")
    };
    let missing = edge
        .replace(
            &s.alb_listener_arn,
            &last_segment_zeroed(&s.alb_listener_arn),
        )
        .replace(
            &s.target_group_arn,
            &last_segment_zeroed(&s.target_group_arn),
        )
        .replace(&s.hosted_zone_id, "ZNOSUCHZONE00000000000")
        .replace(
            "name             = \"gateway-e2e\"",
            "name             = \"gateway-other\"",
        )
        .replace("\"main\"", "\"other\"");
    let broken = scene.workspace(version, &format!("{}{missing}", scene.provider_hcl()));
    scene.reset_calls();
    let out = expect_exit(
        &broken,
        &["plan", "-input=false", "-no-color"],
        1,
        "plan: missing targets",
    );
    let text = flat(&out);
    for attribute in ["hosted_zone_id", "alb_listener_arn", "target_group_arn"] {
        assert!(
            text.contains(&format!("\"{attribute}\"")) || text.contains(&format!("{attribute} ")),
            "{attribute}: {text}"
        );
    }
    assert_eq!(text.matches("Error: ").count(), 3, "{text}");
    assert!(
        scene.calls().mutating().is_empty(),
        "{}",
        scene.calls().table()
    );

    // Destroy as typed, with tenants in the configuration that could not be created (one
    // pinned to a priority in use, one that another state already serves).
    first.write(
        "main.tf",
        &with(&format!(
            "{}{}",
            tenant("acme", "acme", "  priority = 10"),
            tenant("zeta", "zeta", "  priority = 10"),
        )),
    );
    destroy(
        &first,
        "state A: destroy, with an uncreatable tenant configured",
    );
    scene.assert_nothing_left(&[]);
}

/// Seven tenants made with one rule each move to grouped rules when the edge's `rule_layout`
/// changes: the plan shows the edge and every tenant changing, the apply leaves two rules (the
/// first tenant's own rule becomes a group) and no served host is ever without a rule. A host
/// taken out of its group is put back; a second state can neither declare nor import a host
/// another state's group holds; and back to one rule per tenant, again without a gap.
fn rule_layout_change(version: &'static str) {
    let scene = Scene::new(&format!("layout-{version}"));
    let tenants = names("m", 0..7);
    let config = |edge_extra: &str| with_edge(&scene, edge_extra, &tenants);
    let ws = scene.workspace(version, &config(PER_TENANT));
    apply(&ws, "seven tenants, one rule each");
    scene.assert_served(&strs(&tenants), 100);
    let own_rules: BTreeSet<String> = scene
        .rules()
        .into_iter()
        .filter(|r| !r.is_default)
        .map(|r| r.arn)
        .collect();
    assert_eq!(own_rules.len(), 7);

    ws.write("main.tf", &config("  rule_layout = \"grouped\""));
    let plan = plan_has_changes(&ws, "plan the move to grouped rules");
    let text = flat(&plan);
    assert!(
        text.contains("\"per_tenant\" -> \"grouped\""),
        "{}",
        plan.stdout
    );
    for t in &tenants {
        let address = format!("# gateway_tenant.t[\"{t}\"] will be updated in-place");
        assert!(text.contains(&address), "{t} moves:\n{}", plan.stdout);
    }
    apply(&ws, "move to grouped rules");
    scene.assert_served(&strs(&tenants), 100);
    let groups: Vec<scene::Rule> = scene
        .rules()
        .into_iter()
        .filter(|r| !r.is_default)
        .collect();
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert!(
        groups.iter().any(|g| own_rules.contains(&g.arn)),
        "a tenant's own rule became a group: {groups:?}"
    );
    assert_eq!(
        scene.uncovered(),
        [],
        "a served host lost its rule while moving"
    );
    plan_is_empty(&ws, "plan after the move");

    // A host taken out of its group by hand is put back in one.
    let m3 = scene.host(&tenants[3]);
    scene.drop_host_from_rule(&m3);
    scene.clear_uncovered();
    plan_has_changes(&ws, "plan after a host left its group");
    apply(&ws, "repair the group");
    scene.assert_served(&strs(&tenants), 100);
    plan_is_empty(&ws, "plan after the repair");

    // Another state declaring a grouped tenant is refused at plan.
    let other = scene.workspace(
        version,
        &format!(
            "{}{}",
            scene.provider_hcl(),
            tenant("m000", "m000", "").replace(
                "gateway_shared_edge.main.id",
                &format!("\"{}\"", scene::EDGE)
            )
        ),
    );
    let out = scene::expect_exit(
        &other,
        &["plan", "-input=false", "-no-color"],
        1,
        "a second state plans m0",
    );
    assert!(
        flat(&out).contains("already managed on edge"),
        "{}",
        out.stdout
    );
    // Nor can it import one: the group is the other state's to write.
    let address = format!("{}/{}", scene::EDGE, tenants[0]);
    let out = scene::expect_exit(
        &other,
        &[
            "import",
            "-input=false",
            "-no-color",
            "gateway_tenant.m000",
            &address,
        ],
        1,
        "a second state imports m000",
    );
    assert!(
        flat(&out).contains("groups the tenants of another Terraform state"),
        "{}",
        out.stdout
    );

    ws.write("main.tf", &config(PER_TENANT));
    apply(&ws, "back to one rule per tenant");
    scene.assert_served(&strs(&tenants), 100);
    assert_eq!(scene.rules().iter().filter(|r| !r.is_default).count(), 7);
    assert_eq!(
        scene.uncovered(),
        [],
        "a served host lost its rule moving back"
    );
    plan_is_empty(&ws, "plan after moving back");
    // A destroy is not refused for what only a create or an update could not do: tenants'
    // tags on an edge about to group its rules.
    let tagged = with_edge(&scene, "  rule_layout = \"grouped\"", &tenants).replace(
        "  name     = each.key\n",
        "  name     = each.key\n  tags     = { team = \"emea\" }\n",
    );
    ws.write("main.tf", &tagged);
    destroy(&ws, "destroy, with tags a grouped edge refuses");
    scene.assert_nothing_left(&[]);
    assert_eq!(scene.uncovered(), []);
}

/// An edge whose distributions were deleted by hand keeps track of its policies: it stays in
/// state with a warning, the next apply replaces it (made again, served), and after a second
/// such deletion a destroy removes the policies left.
fn distributions_deleted_by_hand(version: &'static str) {
    let scene = Scene::new(&format!("edge-lost-{version}"));
    let ws = scene.workspace(version, &with_edge(&scene, "", &[]));
    apply(&ws, "the edge");
    scene.delete_pool_by_hand();
    let planned = expect_exit(
        &ws,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
        2,
        "plan after the distributions were deleted by hand",
    );
    let said = flat(&planned);
    assert!(
        said.contains("has lost its distributions") && said.contains("must be replaced"),
        "{said}"
    );
    apply(&ws, "replace the edge");
    assert_eq!(scene.pool().len(), 1, "the edge has a distribution again");
    plan_is_empty(&ws, "after the replacement");
    scene.delete_pool_by_hand();
    destroy(&ws, "destroy what is left");
    scene.assert_nothing_left(&[]);
}

/// A module of `#[test]`s running each scenario on Terraform `$version`.
macro_rules! on_terraform {
    ($module:ident, $version:literal: $($scenario:ident),+ $(,)?) => {
        mod $module {
            $(
                #[test]
                fn $scenario() {
                    super::$scenario($version)
                }
            )+
        }
    };
}

macro_rules! scenarios {
    ($($module:ident = $version:literal),+) => {
        $(on_terraform!(
            $module, $version: lifecycle, drift, foreign_objects, failure_midway, many_tenants,
            two_states, ipv6_toggle, served_after_deployment, edge_create_timeout, one_owner,
            rule_layout_change, distributions_deleted_by_hand, steps_overlap,
        );)+
    };
}

scenarios!(v1_15_5 = "1.15.5", v1_0_3 = "1.0.3");
