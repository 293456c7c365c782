//! `distribution_mode = "multi_tenant"` end to end, with a real Terraform (1.15.5 and 1.0.3)
//! against both emulators: ministack, which the project did not write, and the project's own,
//! which also counts the calls and makes tenants and connection groups deploy after reads
//! (so deletions meet `ResourceNotDisabled` until their disabling is deployed): create, a
//! second plan with nothing to do, import, repair of a distribution tenant deleted by hand,
//! refusal of a domain someone else holds, destroy leaving nothing.
//!
//! `cargo test --test multi_tenant` (add `-- --nocapture` for step timings).

mod common;
mod scene;

use aws_sdk_cloudfront::types as cf;
use scene::saas::{
    assert_nothing_left, assert_served, assert_served_on, moving_config, saas, NEXT,
};
use scene::{apply, destroy, expect_exit, plan_has_changes, plan_is_empty, state, Scene, EDGE};

const MULTI_TENANT: &str = "  distribution_mode = \"multi_tenant\"\n  rule_layout = \"per_tenant\"";

/// The edge's room, read after the tenants.
const CAPACITY: &str = "\ndata \"gateway_edge_capacity\" \"room\" {\n  edge_id    = gateway_shared_edge.main.id\n  depends_on = [gateway_tenant.t]\n}\n\noutput \"room\" {\n  value = {\n    tenants      = data.gateway_edge_capacity.room.tenants\n    aliases_free = data.gateway_edge_capacity.room.aliases_free\n    tenants_free = data.gateway_edge_capacity.room.tenants_free\n  }\n}\n";

/// The provider, a multi-tenant edge and `gateway_tenant.t[...]` for each of `names`.
fn config(scene: &Scene, names: &[&str]) -> String {
    config_with(scene, MULTI_TENANT, names)
}

/// The same with `edge_extra` as the edge's settings.
fn config_with(scene: &Scene, edge_extra: &str, names: &[&str]) -> String {
    let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!(
        "{}{}\nresource \"gateway_tenant\" \"t\" {{\n  for_each = toset([{}])\n  edge_id  = gateway_shared_edge.main.id\n  name     = each.key\n}}\n{CAPACITY}",
        scene.provider_hcl(),
        scene.edge_hcl(edge_extra),
        list.join(", ")
    )
}

/// Deletes the distribution tenant of `host` by hand: disabled first, and deleted once the
/// disabling is deployed, as CloudFront asks.
fn delete_tenant_by_hand(scene: &Scene, host: &str) {
    scene.with_cloudfront(|cloudfront| async move {
        let got = cloudfront
            .get_distribution_tenant_by_domain()
            .domain(host)
            .send()
            .await
            .expect("GetDistributionTenantByDomain");
        let tenant = got.distribution_tenant.unwrap();
        let id = tenant.id.clone().unwrap();
        let domains: Vec<cf::DomainItem> = tenant
            .domains
            .unwrap_or_default()
            .into_iter()
            .map(|d| cf::DomainItem::builder().domain(d.domain).build().unwrap())
            .collect();
        cloudfront
            .update_distribution_tenant()
            .id(&id)
            .if_match(got.e_tag.unwrap())
            .set_domains(Some(domains))
            .enabled(false)
            .send()
            .await
            .expect("UpdateDistributionTenant");
        for _ in 0..50 {
            let read = cloudfront
                .get_distribution_tenant()
                .identifier(&id)
                .send()
                .await
                .expect("GetDistributionTenant");
            let deployed = read
                .distribution_tenant
                .as_ref()
                .and_then(|t| t.status.as_deref())
                == Some("Deployed");
            if deployed {
                cloudfront
                    .delete_distribution_tenant()
                    .id(&id)
                    .if_match(read.e_tag.unwrap())
                    .send()
                    .await
                    .expect("DeleteDistributionTenant");
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("distribution tenant {id} never deployed its disabling");
    });
}

/// A standard distribution made by hand holding `host` as an alias.
fn alias_elsewhere(scene: &Scene, host: &str) -> String {
    scene.with_cloudfront(|cloudfront| async move {
        let mut config = common::emulator::distribution_config("someone-else", &[host]);
        config.viewer_certificate = Some(
            cf::ViewerCertificate::builder()
                .acm_certificate_arn(&scene.seed.certificate_arn)
                .ssl_support_method(cf::SslSupportMethod::SniOnly)
                .build(),
        );
        cloudfront
            .create_distribution()
            .distribution_config(config)
            .send()
            .await
            .expect("CreateDistribution")
            .distribution
            .unwrap()
            .id
    })
}

/// A multi-tenant distribution made by hand with a distribution tenant holding `host`: their
/// ids.
fn tenant_elsewhere(scene: &Scene, host: &str) -> (String, String) {
    scene.with_cloudfront(|cloudfront| async move {
        let mut config = common::emulator::distribution_config("someone-else-saas", &[]);
        config.connection_mode = Some(cf::ConnectionMode::TenantOnly);
        // What a multi-tenant distribution cannot carry.
        config.aliases = None;
        config.is_ipv6_enabled = None;
        config.price_class = None;
        let distribution = cloudfront
            .create_distribution()
            .distribution_config(config)
            .send()
            .await
            .expect("CreateDistribution")
            .distribution
            .unwrap()
            .id;
        let tenant = cloudfront
            .create_distribution_tenant()
            .distribution_id(&distribution)
            .name("someone-elses-tenant")
            .domains(cf::DomainItem::builder().domain(host).build().unwrap())
            .send()
            .await
            .expect("CreateDistributionTenant")
            .distribution_tenant
            .unwrap()
            .id
            .unwrap();
        (distribution, tenant)
    })
}

fn lifecycle(version: &'static str, scene: Scene, counted: bool) {
    let names = ["acme", "kite", "zeta"];
    let ws = scene.workspace(version, &config(&scene, &names));
    apply(&ws, "a multi-tenant edge and three tenants");
    if counted {
        // One CreateDistributionTenant per tenant, no alias list to rewrite.
        let calls = scene.calls();
        eprintln!(
            "[{}] AWS calls of the create:\n{}",
            scene.name,
            calls.table()
        );
        let count = |op: &str| calls.by_operation.get(op).copied().unwrap_or_default();
        assert_eq!(count("cloudfront:CreateDistributionTenant"), 3);
        assert_eq!(count("cloudfront:CreateConnectionGroup"), 1);
        assert_eq!(count("cloudfront:CreateDistributionWithTags"), 1);
        assert_eq!(count("cloudfront:UpdateDistribution"), 0);
    }
    let view = assert_served(&scene, &names);
    plan_is_empty(&ws, "after create");
    let resources = state(&ws);
    let (edge, _) = &resources["gateway_shared_edge.main"];
    assert_eq!(edge["distribution_mode"], "multi_tenant");
    assert_eq!(edge["connection_group_id"], view.groups[0].0.as_str());
    let (kite, _) = &resources["gateway_tenant.t[\"kite\"]"];
    assert_eq!(kite["distribution_domain_name"], edge["routing_endpoint"]);
    assert_eq!(kite["distribution_id"], view.distributions[0].0.as_str());
    assert!(kite["distribution_tenant_id"]
        .as_str()
        .is_some_and(|id| !id.is_empty()));
    let outputs = expect_exit(&ws, &["output", "-json"], 0, "the edge's room");
    let room: serde_json::Value = serde_json::from_str(&outputs.stdout).unwrap();
    let room = &room["room"]["value"];
    assert_eq!(room["tenants"], 3, "{room}");
    assert_eq!(
        room["aliases_free"],
        10_000 - 3,
        "the account's tenant quota, not an alias cap: {room}"
    );
    assert_eq!(
        room["tenants_free"], 97,
        "then the load balancer's rules: {room}"
    );

    // terraform query (1.14 and later) lists the edge's tenants: its distribution tenants.
    if version != "1.0.3" {
        ws.write(
            "tenants.tfquery.hcl",
            &format!("list \"gateway_tenant\" \"all\" {{\n  provider = gateway\n  config {{\n    edge_id = \"{EDGE}\"\n  }}\n}}\n"),
        );
        let listed = expect_exit(&ws, &["query", "-no-color"], 0, "query the tenants");
        for name in names {
            assert!(
                listed
                    .stdout
                    .contains(&format!("{} on edge {EDGE}", scene.host(name))),
                "{}",
                listed.stdout
            );
        }
        std::fs::remove_file(ws.path().join("tenants.tfquery.hcl")).unwrap();
    }

    // Import: a tenant the state forgot comes back as it was.
    let kite_before = kite.clone();
    expect_exit(
        &ws,
        &["state", "rm", "gateway_tenant.t[\"kite\"]"],
        0,
        "forget kite",
    );
    expect_exit(
        &ws,
        &[
            "import",
            "-input=false",
            "-no-color",
            "gateway_tenant.t[\"kite\"]",
            &format!("{EDGE}/kite"),
        ],
        0,
        "import kite",
    );
    plan_is_empty(&ws, "after the import");
    let (kite, _) = &state(&ws)["gateway_tenant.t[\"kite\"]"];
    assert_eq!(
        kite["distribution_tenant_id"],
        kite_before["distribution_tenant_id"]
    );

    // Drift: a distribution tenant deleted by hand is made again by the next apply.
    delete_tenant_by_hand(&scene, &scene.host("zeta"));
    plan_has_changes(&ws, "zeta's distribution tenant is gone");
    apply(&ws, "repair zeta");
    assert_served(&scene, &names);
    plan_is_empty(&ws, "after the repair");

    // A domain someone else holds is refused, and nothing of that tenant is made: the apply
    // adding tenant `extra` fails, its error holding each of `named`, and the others stay.
    let refused = |extra: &str, named: &[&str], what: &str| {
        ws.write("main.tf", &config(&scene, &["acme", "kite", "zeta", extra]));
        let out = expect_exit(
            &ws,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
            1,
            what,
        );
        for text in named {
            assert!(out.stderr.contains(text), "{text}: {}", out.stderr);
        }
        assert_served(&scene, &names);
    };
    let other = alias_elsewhere(&scene, &scene.host("taken"));
    refused(
        "taken",
        &[&other, "is in the way"],
        "a tenant whose host another distribution holds",
    );
    // So is a domain of another distribution's tenant (CloudFront's CNAMEAlreadyExists).
    let (theirs, their_tenant) = tenant_elsewhere(&scene, &scene.host("held"));
    refused(
        "held",
        &[&their_tenant, &theirs],
        "a tenant whose host another distribution's tenant holds",
    );
    ws.write("main.tf", &config(&scene, &names));

    destroy(&ws, "destroy");
    if counted {
        // A tenant is deleted right after its disabling; the project's emulator refuses that
        // until the disabling has deployed, and the provider waits and deletes again.
        let log = scene.emulator.control("GET", "calls?log=1", None);
        let deletes: Vec<u64> = log["log"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["op"] == "cloudfront:DeleteDistributionTenant")
            .filter_map(|e| e["status"].as_u64())
            .collect();
        assert!(
            deletes.contains(&409) && deletes.iter().filter(|s| **s < 300).count() >= 3,
            "{deletes:?}"
        );
    }
    // What was made by hand is someone else's: left as it was.
    let mut left: Vec<String> = scene.distributions().into_iter().map(|d| d.id).collect();
    left.sort();
    let mut made = vec![other, theirs.clone()];
    made.sort();
    assert_eq!(left, made);
    let view = saas(&scene);
    assert_eq!(view.distributions.len(), 1);
    assert_eq!(view.distributions[0].0, theirs);
    assert_eq!(view.tenants.len(), 1);
    assert_eq!(view.tenants[0].0, their_tenant);
    scene.assert_nothing_left(&[]);
}

#[test]
fn lifecycle_on_1_15_5() {
    lifecycle("1.15.5", Scene::on_ministack("multi-tenant-1.15.5"), false);
}

#[test]
fn lifecycle_on_the_projects_emulator_1_15_5() {
    let scene = Scene::new("multi-tenant-honest-1.15.5");
    lifecycle("1.15.5", scene, true);
}

#[test]
fn lifecycle_on_the_projects_emulator_1_0_3() {
    let scene = Scene::new("multi-tenant-honest-1.0.3");
    lifecycle("1.0.3", scene, true);
}

#[test]
fn lifecycle_on_1_0_3() {
    lifecycle("1.0.3", Scene::on_ministack("multi-tenant-1.0.3"), false);
}

/// `gateway_tenant.<key>[...]` for each of `names` on the edge `gateway-e2e` of another
/// state, by its id.
fn tenants_of_another_state(scene: &Scene, names: &[&str]) -> String {
    let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!(
        "{}\nresource \"gateway_tenant\" \"t\" {{\n  for_each = toset([{}])\n  edge_id  = \"{EDGE}\"\n  name     = each.key\n}}\n",
        scene.provider_hcl(),
        list.join(", ")
    )
}

fn strs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

/// Two Terraform states add tenants to one multi-tenant edge at the same time, with the edge's
/// default rule layout (grouped): every tenant of both is served, each state's next plan is
/// empty, and both destroy what is theirs.
#[test]
fn two_states_on_one_edge() {
    let scene = Scene::on_ministack("multi-tenant-two-states");
    let first: Vec<String> = (0..3).map(|i| format!("a{i}")).collect();
    let more: Vec<String> = (0..8).map(|i| format!("a{i}")).collect();
    let theirs: Vec<String> = (0..8).map(|i| format!("b{i}")).collect();
    let grouped = "  distribution_mode = \"multi_tenant\"";
    let a = scene.workspace("1.15.5", &config_with(&scene, grouped, &strs(&first)));
    apply(&a, "state A: the edge and three tenants");
    a.write("main.tf", &config_with(&scene, grouped, &strs(&more)));
    let b = scene.workspace("1.15.5", &tenants_of_another_state(&scene, &strs(&theirs)));
    std::thread::scope(|s| {
        let one = s.spawn(|| apply(&a, "state A: five more"));
        let two = s.spawn(|| apply(&b, "state B: eight"));
        one.join().unwrap();
        two.join().unwrap();
    });
    let all: Vec<&str> = more.iter().chain(&theirs).map(String::as_str).collect();
    assert_served(&scene, &all);
    // State A's output of the edge's room now counts state B's tenants too.
    apply(&a, "state A reads the edge's room again");
    plan_is_empty(&a, "state A after both");
    plan_is_empty(&b, "state B after both");
    destroy(&b, "state B destroys its tenants");
    assert_served(&scene, &strs(&more));
    destroy(&a, "state A destroys the rest and the edge");
    assert_nothing_left(&scene);
}

/// Creates the connection group `name` by hand, tagged `tags`.
fn connection_group_by_hand(scene: &Scene, name: &str, tags: &[(&str, &str)]) -> String {
    let name = name.to_string();
    let tags: Vec<cf::Tag> = tags
        .iter()
        .map(|(k, v)| cf::Tag::builder().key(*k).value(*v).build().unwrap())
        .collect();
    scene.with_cloudfront(|cloudfront| async move {
        cloudfront
            .create_connection_group()
            .name(name)
            .enabled(true)
            .tags(cf::Tags::builder().set_items(Some(tags)).build())
            .send()
            .await
            .expect("CreateConnectionGroup")
            .connection_group
            .unwrap()
            .id
            .unwrap()
    })
}

/// A connection group an interrupted create left (named and tagged as the edge's) is taken
/// over by the next create; one of that name without the edge's tag is refused, and left.
#[test]
fn connection_groups_left_behind_or_foreign() {
    let scene = Scene::on_ministack("multi-tenant-groups");
    let name = format!("gateway-{EDGE}");
    let foreign = connection_group_by_hand(&scene, &name, &[("team", "other")]);
    let ws = scene.workspace("1.15.5", &config(&scene, &["acme"]));
    let refused = expect_exit(
        &ws,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        1,
        "a connection group of the edge's name that is not the edge's",
    );
    assert!(
        refused.stderr.contains(&foreign) && refused.stderr.contains("gateway:edge"),
        "{}",
        refused.stderr
    );
    let view = saas(&scene);
    assert_eq!(
        view.groups.len(),
        1,
        "the foreign group is left: {:?}",
        view.groups
    );
    assert!(view.distributions.is_empty(), "nothing else made");
    assert_eq!(view.groups[0].0, foreign);
    // The same group, tagged as an interrupted create of the edge tags it, is taken over.
    let group = foreign.clone();
    scene.with_cloudfront(|cloudfront| async move {
        let arn = cloudfront
            .get_connection_group()
            .identifier(&group)
            .send()
            .await
            .expect("GetConnectionGroup")
            .connection_group
            .unwrap()
            .arn
            .unwrap();
        let tag = cf::Tag::builder()
            .key("gateway:edge")
            .value(EDGE)
            .build()
            .unwrap();
        cloudfront
            .tag_resource()
            .resource(arn)
            .tags(cf::Tags::builder().items(tag).build())
            .send()
            .await
            .expect("TagResource");
    });
    apply(
        &ws,
        "the edge takes over the group an interrupted create left",
    );
    let view = assert_served(&scene, &["acme"]);
    assert_eq!(view.groups[0].0, foreign, "the same group");
    plan_is_empty(&ws, "after the take-over");
    destroy(&ws, "destroy");
    assert_nothing_left(&scene);
}

/// The writes of a multi-tenant lifecycle, and whether each happens while applying (`false`)
/// or destroying (`true`).
const SAAS_WRITES: &[(&str, bool)] = &[
    ("cloudfront:CreateConnectionGroup", false),
    ("cloudfront:CreateDistributionWithTags", false),
    ("cloudfront:CreateDistributionTenant", false),
    ("cloudfront:UpdateDistributionTenant", true),
    ("cloudfront:DeleteDistributionTenant", true),
    ("cloudfront:UpdateConnectionGroup", true),
    ("cloudfront:DeleteConnectionGroup", true),
];

/// Runs `args` until it succeeds, at most twice: a lost answer may fail the first run, and
/// then nothing may be stuck. True when the first run absorbed it.
fn twice(ws: &common::terraform::Workspace, args: &[&str], what: &str) -> bool {
    let first = ws.run(args);
    if first.success() {
        return true;
    }
    eprintln!(
        "{what}: the first run failed, running again:\n{}",
        scene::flat(&first)
    );
    expect_exit(ws, args, 0, &format!("{what}, again"));
    false
}

/// Each write of the multi-tenant mode loses its answer once (the change is made, the SDK
/// retries a request that already took effect): the run, or the next one, converges, the plan
/// after is empty, every tenant is served once, and the destroy leaves nothing.
#[test]
fn every_multi_tenant_write_survives_a_lost_answer() {
    let scene = Scene::new("multi-tenant-lost-answers");
    let names = ["acme", "zeta"];
    let mut absorbed = 0;
    for (op, destroying) in SAAS_WRITES {
        let what = format!("lost answer of {op}");
        let ws = scene.workspace("1.15.5", &config(&scene, &names));
        let lost = serde_json::json!({"match": op, "error": "internal", "lost_response": true, "count": 1});
        if !destroying {
            scene.fault(lost.clone());
        }
        let apply_args = ["apply", "-auto-approve", "-input=false", "-no-color"];
        let mut clean = twice(&ws, &apply_args, &format!("{what}: apply"));
        plan_is_empty(&ws, &format!("{what}: plan"));
        assert_served(&scene, &names);
        if *destroying {
            scene.fault(lost);
        }
        let destroy_args = ["destroy", "-auto-approve", "-input=false", "-no-color"];
        clean &= twice(&ws, &destroy_args, &format!("{what}: destroy"));
        assert_eq!(
            scene.armed_faults(),
            serde_json::json!([]),
            "{what}: the fault never fired"
        );
        assert_nothing_left(&scene);
        absorbed += usize::from(clean);
        eprintln!(
            "{what}: {}",
            if clean {
                "absorbed"
            } else {
                "converged on the next run"
            }
        );
    }
    eprintln!(
        "{absorbed} of {} lost answers absorbed within the same run",
        SAAS_WRITES.len()
    );
}

/// The account's quota of distribution tenants (2 here, 10,000 by AWS's default) reached: the
/// tenant beyond it is refused with the quota named and leaves nothing (no distribution tenant,
/// rule or record), the others are served, and once the quota is raised the next apply creates
/// it. On the project's emulator, which emulates the quota.
#[test]
fn a_tenant_beyond_the_accounts_quota_is_refused_and_leaves_nothing() {
    let scene = Scene::new("multi-tenant-quota");
    scene.configure(serde_json::json!({"cloudfront_distribution_tenants_per_account": 2}));
    let names = ["acme", "kite", "zeta"];
    let ws = scene.workspace("1.15.5", &config(&scene, &names));
    let out = scene::apply_fails(&ws, "apply beyond the tenant quota");
    let text = format!("{}{}", out.stdout, out.stderr).replace('\n', " ");
    assert!(
        text.contains("Distribution tenants per AWS account")
            && text.contains("EntityLimitExceeded"),
        "{text}"
    );
    let kept: Vec<String> = state(&ws)
        .into_iter()
        .filter(|(address, _)| address.starts_with("gateway_tenant."))
        .map(|(_, (values, _))| values["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    let kept: Vec<&str> = kept.iter().map(String::as_str).collect();
    assert_served(&scene, &kept);
    let refused = names.iter().find(|n| !kept.contains(n)).unwrap();
    let host = scene.host(refused);
    assert!(
        !scene.rules().iter().any(|r| r.hosts.contains(&host)),
        "{host} has a rule"
    );
    assert!(
        !scene.address_records().iter().any(|r| r.name == host),
        "{host} has records"
    );

    scene.configure(serde_json::json!({"cloudfront_distribution_tenants_per_account": 10}));
    apply(&ws, "apply with the quota raised");
    assert_served(&scene, &names);
    plan_is_empty(&ws, "plan");
    destroy(&ws, "destroy");
    assert_nothing_left(&scene);
}

/// A pool edge's tenants move to a multi-tenant edge by changing their `edge_id`: the plan
/// shows updates in place, not replacements, and through the apply no host with records is
/// left without a CloudFront resource holding it (the emulator's unserved log) or without a
/// listener rule (its coverage log). Afterwards each host is a distribution tenant's domain,
/// its records point at the connection group, the pool holds no alias, the next plan is
/// empty, the pool edge is then removed leaving nothing, and destroy leaves nothing at all.
fn pool_tenants_move(version: &'static str, scene: Scene, pool: &str, multi: &str, watched: bool) {
    let names = ["acme", "kite", "zeta"];
    let ws = scene.workspace(
        version,
        &moving_config(&scene, pool, multi, &names, false, true),
    );
    apply(&ws, "a pool edge and three tenants");
    let before = state(&ws);
    let pool_ids: Vec<String> = scene
        .distributions()
        .into_iter()
        .filter(|d| d.aliases.contains(&scene.host("acme")))
        .map(|d| d.id)
        .collect();
    assert_eq!(pool_ids.len(), 1, "the tenants share one pool distribution");

    // To an edge of another domain the tenants are replaced, as any other change of edge.
    let elsewhere = moving_config(&scene, pool, multi, &names, true, true);
    let domain_line = format!("domain           = \"{}\"", scene.seed.domain);
    let at = elsewhere
        .rfind(&domain_line)
        .expect("the new edge's domain");
    let elsewhere = format!(
        "{}domain = \"sub.{}\"{}",
        &elsewhere[..at],
        scene.seed.domain,
        &elsewhere[at + domain_line.len()..]
    );
    ws.write("main.tf", &elsewhere);
    let replaced = plan_has_changes(&ws, "the tenants go to an edge of another domain");
    assert!(
        replaced
            .stdout
            .contains("4 to add, 0 to change, 3 to destroy")
            && replaced.stdout.contains("must be replaced"),
        "{}",
        replaced.stdout
    );

    ws.write(
        "main.tf",
        &moving_config(&scene, pool, multi, &names, true, true),
    );
    let state_file = ws.path().join("terraform.tfstate");
    let unmoved = std::fs::read(&state_file).expect("the state before the move");
    let planned = plan_has_changes(&ws, "the tenants move");
    assert!(
        planned
            .stdout
            .contains("1 to add, 3 to change, 0 to destroy"),
        "{}",
        planned.stdout
    );
    assert!(
        !planned.stdout.contains("must be replaced"),
        "{}",
        planned.stdout
    );
    apply(&ws, "move the tenants to the multi-tenant edge");
    if watched {
        assert_eq!(scene.unserved(), [], "a served host was held by nothing");
        assert_eq!(scene.uncovered(), [], "a served host lost its rule");
    }
    assert_served_on(&scene, NEXT, &names);
    let resources = state(&ws);
    for name in names {
        let key = format!("gateway_tenant.t[\"{name}\"]");
        let (moved, _) = &resources[&key];
        let (was, _) = &before[&key];
        assert_eq!(moved["id"], format!("{NEXT}/{name}"));
        assert_eq!(moved["edge_id"], NEXT);
        assert_eq!(moved["host"], was["host"]);
        assert!(moved["distribution_tenant_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("dt_") || !id.is_empty()));
    }
    for d in scene.distributions() {
        if pool_ids.contains(&d.id) {
            assert!(d.aliases.is_empty(), "the pool keeps {:?}", d.aliases);
        }
    }
    plan_is_empty(&ws, "after the move");

    // A state saved before the move, as when Terraform is killed after the move's last write:
    // the read no longer finds the tenants on the pool edge, and the next apply takes over
    // what is in place on the new one.
    let moved_state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state_file).unwrap()).unwrap();
    let unmoved: serde_json::Value = serde_json::from_slice(&unmoved).unwrap();
    let mut interrupted = moved_state.clone();
    interrupted["serial"] = (moved_state["serial"].as_u64().unwrap_or_default() + 1).into();
    let tenants_before = unmoved["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "gateway_tenant")
        .cloned();
    let resources_now = interrupted["resources"].as_array_mut().unwrap();
    resources_now.retain(|r| r["type"] != "gateway_tenant");
    resources_now.extend(tenants_before);
    std::fs::write(
        &state_file,
        serde_json::to_vec_pretty(&interrupted).unwrap(),
    )
    .unwrap();
    apply(&ws, "the move again, from the state before it");
    if watched {
        assert_eq!(scene.unserved(), [], "a served host was held by nothing");
        assert_eq!(scene.uncovered(), [], "a served host lost its rule");
    }
    plan_is_empty(&ws, "after the move again");
    assert_served_on(&scene, NEXT, &names);
    let again = state(&ws);
    for name in names {
        let key = format!("gateway_tenant.t[\"{name}\"]");
        assert_eq!(
            again[&key].0["distribution_tenant_id"],
            resources[&key].0["distribution_tenant_id"]
        );
        assert_eq!(
            again[&key].0["listener_rule_arn"],
            resources[&key].0["listener_rule_arn"]
        );
    }

    ws.write(
        "main.tf",
        &moving_config(&scene, pool, multi, &names, true, false),
    );
    apply(&ws, "remove the emptied pool edge");
    let left: Vec<String> = scene.distributions().into_iter().map(|d| d.id).collect();
    assert!(
        pool_ids.iter().all(|id| !left.contains(id)),
        "the pool's distributions are deleted: {left:?}"
    );
    assert_served_on(&scene, NEXT, &names);
    plan_is_empty(&ws, "after the pool edge is gone");
    destroy(&ws, "destroy");
    assert_nothing_left(&scene);
}

#[test]
fn pool_tenants_move_to_a_multi_tenant_edge_1_15_5() {
    // From grouped rules to rules of their own.
    let scene = Scene::new("move-to-multi-tenant-1.15.5");
    pool_tenants_move("1.15.5", scene, "", "  rule_layout = \"per_tenant\"", true);
}

#[test]
fn pool_tenants_move_to_a_multi_tenant_edge_1_0_3() {
    // Each tenant's own rule, kept.
    let per_tenant = "  rule_layout = \"per_tenant\"";
    let scene = Scene::new("move-to-multi-tenant-1.0.3");
    pool_tenants_move("1.0.3", scene, per_tenant, per_tenant, true);
}

#[test]
fn pool_tenants_move_to_a_multi_tenant_edge_on_ministack() {
    // Into grouped rules of the new edge.
    let scene = Scene::on_ministack("move-to-multi-tenant-ministack");
    pool_tenants_move("1.15.5", scene, "  rule_layout = \"per_tenant\"", "", false);
}
