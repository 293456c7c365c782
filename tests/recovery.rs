//! Recovering from interrupted and repeated work, end to end with a real Terraform against the
//! honest emulator: every kind of write the provider makes loses its answer once (the change is
//! made, the SDK retries a request that already took effect), and each time the apply (or the
//! next one) converges, the following plan is empty and the destroy leaves nothing.
//!
//! Then the provider, and separately Terraform itself, is killed at points spread over an
//! edge-and-tenants apply (inside the edge's creation, between its policies, during pool growth,
//! among the tenants); a plain re-apply converges, the next plan is empty, every tenant is served
//! once, and the destroy leaves nothing. A killed Terraform leaves no provider process behind.
//! A multi-tenant edge is killed after each of its apply's writes (policies, connection group,
//! distribution, distribution tenants, rule, records), with the same outcome, and so is a pool
//! edge's tenants' move to a multi-tenant edge, which also never leaves a host unserved.
//!
//! Terraform rewrites its local state file in place, so a Terraform killed at that moment
//! empties it (it happens by chance, and once per test on purpose): the re-apply then stops at
//! the edge found in AWS with the advice to import it, and after importing the edge and its
//! tenants, as a user would, it converges the same way.
//!
//! `cargo test --test recovery` (add `-- --nocapture` for step timings).

mod common;
mod scene;

use std::time::{Duration, Instant};

use common::{process_running, provider_processes_of};
use scene::{apply, destroy, flat, plan_is_empty, saas, Scene, EDGE};
use serde_json::json;

const VERSION: &str = "1.15.5";

/// Each write of an edge-and-tenants lifecycle, and the step that makes it: `Create` during the
/// first apply, `Update` when tags and the cache settings change, `Destroy` during the destroy.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Step {
    Create,
    Update,
    Destroy,
}

const WRITES: &[(&str, Step)] = &[
    ("cloudfront:CreateCachePolicy", Step::Create),
    ("cloudfront:CreateOriginRequestPolicy", Step::Create),
    ("cloudfront:CreateDistributionWithTags", Step::Create),
    ("cloudfront:UpdateDistribution", Step::Create),
    ("elbv2:CreateRule", Step::Create),
    ("route53:ChangeResourceRecordSets", Step::Create),
    ("cloudfront:UpdateCachePolicy", Step::Update),
    ("cloudfront:TagResource", Step::Update),
    ("elbv2:AddTags", Step::Update),
    ("route53:ChangeResourceRecordSets", Step::Destroy),
    ("elbv2:DeleteRule", Step::Destroy),
    ("cloudfront:UpdateDistribution", Step::Destroy),
    ("cloudfront:DeleteDistribution", Step::Destroy),
    ("cloudfront:DeleteOriginRequestPolicy", Step::Destroy),
    ("cloudfront:DeleteCachePolicy", Step::Destroy),
];

/// Applies `what` until it succeeds, at most twice: a lost answer may fail the first apply
/// (then nothing may be stuck: the second must converge) or be absorbed by it.
fn converge(ws: &common::terraform::Workspace, what: &str) -> bool {
    let first = ws.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    if first.success() {
        return true;
    }
    eprintln!(
        "{what}: the first apply failed, re-applying:\n{}",
        flat(&first)
    );
    apply(ws, &format!("{what}: re-apply"));
    false
}

/// The writes only grouped rules make: a group created, joined (by a tenant added in the
/// update) and deleted when its last host leaves.
const GROUPED_WRITES: &[(&str, Step)] = &[
    ("elbv2:CreateRule", Step::Create),
    ("elbv2:ModifyRule", Step::Update),
    ("elbv2:DeleteRule", Step::Destroy),
];

#[test]
fn every_write_survives_a_lost_answer() {
    let scene = Scene::new("lost-answers");
    let cases = WRITES
        .iter()
        .map(|(op, step)| (*op, *step, false))
        .chain(GROUPED_WRITES.iter().map(|(op, step)| (*op, *step, true)));
    let total = WRITES.len() + GROUPED_WRITES.len();
    let mut absorbed = 0;
    for (i, (op, step, grouped)) in cases.enumerate() {
        let clean = lost_answer(&scene, op, step, grouped);
        absorbed += usize::from(clean);
        eprintln!(
            "case {}/{total}: lost answer of {op} during {step:?}{}: {}",
            i + 1,
            if grouped { ", grouped rules" } else { "" },
            if clean {
                "absorbed"
            } else {
                "converged on the next run"
            }
        );
    }
    eprintln!("{absorbed} of {total} lost answers absorbed within the same run");
}

/// One lifecycle of an edge and its tenants in which `op` loses its answer once during
/// `step`; true when the run it happened in absorbed it. With one rule per tenant the update
/// changes the tenants' tags; with grouped rules it adds a tenant to the group.
fn lost_answer(scene: &Scene, op: &str, step: Step, grouped: bool) -> bool {
    let what = format!("lost answer of {op} during {step:?}");
    let config = |edge_extra: &str, tags: &str, tenants: &str| {
        let layout = if grouped {
            ""
        } else {
            "  rule_layout = \"per_tenant\"\n"
        };
        let tags = if grouped {
            String::new()
        } else {
            format!("  tags     = {{ {tags} }}\n")
        };
        format!(
            "{}{}\nresource \"gateway_tenant\" \"t\" {{\n  for_each = toset([{tenants}])\n  edge_id  = gateway_shared_edge.main.id\n  name     = each.key\n{tags}}}\n",
            scene.provider_hcl(),
            scene.edge_hcl(&format!("{layout}{edge_extra}")),
        )
    };
    let two = "\"acme\", \"zeta\"";
    let three = "\"acme\", \"kite\", \"zeta\"";
    let ws = scene.workspace(VERSION, &config("", "team = \"a\"", two));
    let lost = json!({"match": op, "error": "internal", "lost_response": true, "count": 1});
    if step == Step::Create {
        scene.fault(lost.clone());
    }
    let mut clean = converge(&ws, &format!("{what}: apply"));
    let mut served = vec!["acme", "zeta"];
    if step == Step::Update {
        let tenants = if grouped {
            served.push("kite");
            three
        } else {
            two
        };
        ws.write(
            "main.tf",
            &config(
                "  min_ttl = 300\n  tags = { cost = \"b\" }",
                "team = \"b\"",
                tenants,
            ),
        );
        scene.fault(lost.clone());
        clean &= converge(&ws, &format!("{what}: update"));
    }
    plan_is_empty(&ws, &format!("{what}: plan"));
    scene.assert_served(&served, 100);
    if step == Step::Destroy {
        scene.fault(lost);
        let out = ws.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
        if !out.success() {
            clean = false;
            eprintln!("{what}: the first destroy failed:\n{}", flat(&out));
            destroy(&ws, &format!("{what}: destroy again"));
        }
    } else {
        destroy(&ws, &format!("{what}: destroy"));
    }
    let armed = scene.armed_faults();
    assert_eq!(armed, json!([]), "{what}: the fault never fired");
    scene.assert_nothing_left(&[]);
    assert_eq!(scene.uncovered(), [], "{what}: a served host lost its rule");
    clean
}

/// Who is killed at a kill point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Victim {
    /// Every provider process of the running Terraform (Terraform then fails the apply).
    Provider,
    /// Terraform itself (its providers must then exit by themselves).
    Terraform,
}

/// How long a provider may outlive a killed Terraform.
const ORPHAN_GRACE: Duration = Duration::from_secs(5);

/// Calls take this long in the emulator during the kill test, so that a kill lands after one
/// write is answered and before the next one is served.
fn slow_aws() -> serde_json::Value {
    json!({"timing": {
        "scale": 1,
        "latency_ms": {"*": 120},
        "rate_limits": {},
        "cloudfront_deploy_s": 1,
        "route53_insync_s": 1
    }})
}

/// Starts an apply and kills `victim` once AWS has answered `after` writes; answers the
/// provider processes still running `ORPHAN_GRACE` after a killed Terraform, and whether the
/// kill happened before the apply finished by itself.
fn kill_during_apply(
    scene: &Scene,
    ws: &common::terraform::Workspace,
    after: usize,
    victim: Victim,
) -> (Vec<u32>, bool) {
    scene.reset_calls();
    scene.configure(slow_aws());
    let mut terraform = ws.spawn(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=10",
    ]);
    let pid = terraform.id();
    let started = Instant::now();
    loop {
        if terraform.try_wait().unwrap().is_some() {
            scene.configure(json!({"timing": null}));
            return (Vec::new(), false);
        }
        if scene.served_writes().len() >= after {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the apply made fewer than {after} writes"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let providers = provider_processes_of(pid);
    // What follows the kill runs at the emulator's usual speed.
    let outcome = kill(&mut terraform, providers, victim);
    scene.configure(json!({"timing": null}));
    outcome
}

/// A workspace from `fresh` whose apply was killed as `what` says, and the provider processes
/// it left. A run that merged more of its writes than the clean one may end before the kill
/// point: it is destroyed (`nothing_left` then holds) and tried again, at most twice more.
fn killed_at(
    scene: &Scene,
    fresh: &dyn Fn() -> common::terraform::Workspace,
    after: usize,
    victim: Victim,
    what: &str,
    nothing_left: &dyn Fn(),
) -> (common::terraform::Workspace, Vec<u32>) {
    for attempt in 1..=3 {
        let ws = fresh();
        let (orphans, killed) = kill_during_apply(scene, &ws, after, victim);
        if killed {
            return (ws, orphans);
        }
        eprintln!("{what}: the apply ended before the kill point ({attempt} of 3)");
        destroy(&ws, &format!("{what}: destroy before trying again"));
        nothing_left();
    }
    panic!("{what}: the apply ended before the kill point, 3 times");
}

/// The re-apply after a kill point. Terraform rewrites its local state file in place
/// (truncate, then write), so a Terraform killed between the two has emptied it and lost
/// track of what the run made, as it would with any provider: the re-apply then stops at the
/// edge already in AWS, saying to import it. A user imports what exists, and so does this
/// test (for each address the first of its import ids that imports) before applying again.
fn reapply_after_kill(
    ws: &common::terraform::Workspace,
    what: &str,
    victim: Victim,
    imports: &[(String, Vec<String>)],
) {
    // Read before the apply, which writes a state of its own.
    let text = std::fs::read(ws.path().join("terraform.tfstate")).unwrap_or_default();
    let emptied = serde_json::from_slice::<serde_json::Value>(&text).is_err();
    let out = ws.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    if out.success() {
        return;
    }
    assert!(
        victim == Victim::Terraform && emptied && out.stderr.contains("terraform import"),
        "{what}: re-apply failed (exit {}):\n{}\n{}",
        out.code,
        out.stdout,
        out.stderr
    );
    eprintln!("{what}: Terraform was killed while rewriting its state file; importing what exists");
    for (address, ids) in imports {
        let imported = ids.iter().any(|id| {
            ws.run(&["import", "-input=false", "-no-color", address, id])
                .success()
        });
        eprintln!("{what}: {address} imported: {imported}");
    }
    apply(ws, &format!("{what}: re-apply after the imports"));
}

/// What to import, at the addresses the recovery tests' configurations use: each of `edges`
/// (address, id), and each tenant of `names` at `gateway_tenant.t[...]` with one id per edge of
/// `tenant_edges`, tried in that order.
fn imports_of(
    edges: &[(&str, &str)],
    names: &[&str],
    tenant_edges: &[&str],
) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = edges
        .iter()
        .map(|(address, id)| (address.to_string(), vec![id.to_string()]))
        .collect();
    for name in names {
        out.push((
            format!("gateway_tenant.t[\"{name}\"]"),
            tenant_edges.iter().map(|e| format!("{e}/{name}")).collect(),
        ));
    }
    out
}

fn kill(
    terraform: &mut std::process::Child,
    providers: Vec<u32>,
    victim: Victim,
) -> (Vec<u32>, bool) {
    match victim {
        Victim::Provider => {
            for p in &providers {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &p.to_string()])
                    .status();
            }
            let _ = terraform.wait();
            (Vec::new(), true)
        }
        Victim::Terraform => {
            terraform.kill().unwrap();
            terraform.wait().unwrap();
            let killed = Instant::now();
            while providers.iter().any(|p| process_running(*p)) && killed.elapsed() < ORPHAN_GRACE {
                std::thread::sleep(Duration::from_millis(50));
            }
            let orphans: Vec<u32> = providers
                .into_iter()
                .filter(|p| process_running(*p))
                .collect();
            for p in &orphans {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &p.to_string()])
                    .status();
            }
            (orphans, true)
        }
    }
}

#[test]
fn applies_killed_anywhere_converge_on_the_next_apply() {
    let scene = Scene::new("killed");
    let tenants: Vec<String> = (0..6).map(|i| format!("k{i}")).collect();
    let names: Vec<&str> = tenants.iter().map(String::as_str).collect();
    killed_anywhere(
        &scene,
        "  max_aliases_per_distribution = 2",
        &names,
        &|| {
            scene.assert_served(&names, 2);
        },
        &|| scene.assert_nothing_left(&[]),
    );
}

/// The same on a multi-tenant edge: killed while its distribution, connection group or
/// distribution tenants are made, the next apply finishes them.
#[test]
fn multi_tenant_applies_killed_anywhere_converge_on_the_next_apply() {
    let scene = Scene::new("killed-multi");
    let tenants: Vec<String> = (0..4).map(|i| format!("m{i}")).collect();
    let names: Vec<&str> = tenants.iter().map(String::as_str).collect();
    killed_anywhere(
        &scene,
        "  distribution_mode = \"multi_tenant\"",
        &names,
        &|| {
            saas::assert_served(&scene, &names);
        },
        &|| saas::assert_nothing_left(&scene),
    );
}

/// A pool edge's tenants moving to a multi-tenant edge (from grouped rules to rules of their
/// own, the move with the most writes), the provider and then Terraform killed after each
/// write of the move from the first tenant's on: each time the re-apply finishes the move, the
/// next plan is empty, every host is served on the new edge, no host with records was left
/// without a CloudFront resource holding it or a rule matching it at any moment (the kills
/// included), and the destroy leaves nothing.
#[test]
fn moves_killed_anywhere_finish_on_the_next_apply() {
    let scene = Scene::new("killed-move");
    let names = ["acme", "kite"];
    let per_tenant = "  rule_layout = \"per_tenant\"";
    let pool = saas::moving_config(&scene, "", per_tenant, &names, false, true);
    let moved = saas::moving_config(&scene, "", per_tenant, &names, true, true);
    let on_the_pool = || {
        let ws = scene.workspace(VERSION, &pool);
        apply(&ws, "the pool edge and its tenants");
        ws.write("main.tf", &moved);
        scene.clear_unserved();
        scene.clear_uncovered();
        ws
    };
    let moved_well = |what: &str| {
        saas::assert_served_on(&scene, saas::NEXT, &names);
        assert_eq!(
            scene.unserved(),
            [],
            "{what}: a served host was held by nothing"
        );
        assert_eq!(scene.uncovered(), [], "{what}: a served host lost its rule");
    };

    // A clean move: its writes, in order.
    let ws = on_the_pool();
    scene.reset_calls();
    scene.configure(slow_aws());
    apply(&ws, "clean move");
    scene.configure(json!({"timing": null}));
    let writes = scene.served_writes();
    moved_well("clean move");
    destroy(&ws, "clean destroy");
    saas::assert_nothing_left(&scene);
    let first = writes
        .iter()
        .position(|op| op == "cloudfront:CreateDistributionTenant")
        .expect("the move creates distribution tenants");
    for op in [
        "cloudfront:UpdateDomainAssociation",
        "cloudfront:UpdateDistributionTenant",
    ] {
        assert_eq!(
            writes.iter().filter(|w| *w == op).count(),
            names.len(),
            "one {op} per tenant: {writes:?}"
        );
    }

    let n = writes.len();
    let nothing_left = || saas::assert_nothing_left(&scene);
    let mut passed = 0;
    for victim in [Victim::Provider, Victim::Terraform] {
        for k in first + 1..n {
            let what = format!(
                "{victim:?} killed after write {k} of {n} ({})",
                writes[k - 1]
            );
            let (ws, orphans) = killed_at(&scene, &on_the_pool, k, victim, &what, &nothing_left);
            assert!(
                orphans.is_empty(),
                "{what}: provider processes {orphans:?} outlived Terraform"
            );
            let edges = [
                ("gateway_shared_edge.main", EDGE),
                ("gateway_shared_edge.next", saas::NEXT),
            ];
            let imports = imports_of(&edges, &names, &[saas::NEXT, EDGE]);
            reapply_after_kill(&ws, &what, victim, &imports);
            plan_is_empty(&ws, &format!("{what}: plan"));
            moved_well(&what);
            destroy(&ws, &format!("{what}: destroy"));
            saas::assert_nothing_left(&scene);
            passed += 1;
            eprintln!("kill point {passed}: {what}: converged");
        }
    }
    eprintln!("{passed} kill points of the move converged; writes: {writes:?}");
}

/// An edge (with `edge_extra` settings) and the tenants `names`, applied once cleanly to learn
/// its writes, then killed (the provider, then Terraform) after each of the edge's first
/// writes, each growth of its pool and points spread over the tenants' writes: each time a
/// plain re-apply converges, the next plan is empty, `served` holds, and after the destroy
/// `nothing_left` does.
fn killed_anywhere(
    scene: &Scene,
    edge_extra: &str,
    names: &[&str],
    served: &dyn Fn(),
    nothing_left: &dyn Fn(),
) {
    let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let config = format!(
        "{}{}\nresource \"gateway_tenant\" \"t\" {{\n  for_each = toset([{}])\n  edge_id  = gateway_shared_edge.main.id\n  name     = each.key\n}}\n",
        scene.provider_hcl(),
        scene.edge_hcl(edge_extra),
        list.join(", ")
    );

    // A clean run: the writes an apply makes, in order.
    let ws = scene.workspace(VERSION, &config);
    scene.reset_calls();
    scene.configure(slow_aws());
    apply(&ws, "clean apply");
    scene.configure(json!({"timing": null}));
    let writes = scene.served_writes();
    served();
    destroy(&ws, "clean destroy");
    nothing_left();

    // Kill points: each of the edge's creation steps, each growth of the pool, and points
    // spread over the tenants' writes.
    let mut points: Vec<usize> = vec![1, 2, 3];
    points.extend(
        writes
            .iter()
            .enumerate()
            .skip(3)
            .filter(|(_, op)| op.as_str() == "cloudfront:CreateDistributionWithTags")
            .map(|(i, _)| i + 1),
    );
    let n = writes.len();
    points.extend([n / 3, n / 2, (2 * n) / 3, n - 1]);
    points.sort_unstable();
    points.dedup();
    points.retain(|k| (1..n).contains(k));
    if n <= 12 {
        // Few writes (a multi-tenant edge): a kill after each of them.
        points = (1..n).collect();
    }

    let mut passed = 0;
    let mut orphans_seen = 0;
    for victim in [Victim::Provider, Victim::Terraform] {
        for &k in &points {
            let what = format!(
                "{victim:?} killed after write {k} of {n} ({})",
                writes[k - 1]
            );
            let fresh = || scene.workspace(VERSION, &config);
            let (ws, orphans) = killed_at(scene, &fresh, k, victim, &what, nothing_left);
            orphans_seen += orphans.len();
            assert!(
                orphans.is_empty(),
                "{what}: provider processes {orphans:?} outlived Terraform by {ORPHAN_GRACE:?}"
            );
            if victim == Victim::Terraform && Some(&k) == points.last() {
                // Once on purpose what a kill may do by chance: the state file emptied.
                std::fs::write(ws.path().join("terraform.tfstate"), b"").unwrap();
            }
            let imports = imports_of(&[("gateway_shared_edge.main", EDGE)], names, &[EDGE]);
            reapply_after_kill(&ws, &what, victim, &imports);
            plan_is_empty(&ws, &format!("{what}: plan"));
            served();
            destroy(&ws, &format!("{what}: destroy"));
            nothing_left();
            passed += 1;
            eprintln!("kill point {passed}: {what}: converged");
        }
    }
    eprintln!(
        "{passed} kill points ({} per victim, of {n} writes) converged; {orphans_seen} orphaned provider processes; writes: {writes:?}",
        points.len()
    );
}
