//! Recovering from interrupted and repeated work, end to end with a real Terraform against the
//! honest emulator: every kind of write the provider makes loses its answer once (the change is
//! made, the SDK retries a request that already took effect), and each time the apply (or the
//! next one) converges, the following plan is empty and the destroy leaves nothing.
//!
//! `cargo test --test recovery` (add `-- --nocapture` for step timings).

mod common;
mod scene;

use scene::{apply, destroy, flat, plan_is_empty, Scene};
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

#[test]
fn every_write_survives_a_lost_answer() {
    let scene = Scene::new("lost-answers");
    let config = |extra: &str, tags: &str| {
        format!(
            "{}{}\nresource \"gateway_tenant\" \"t\" {{\n  for_each = toset([\"acme\", \"zeta\"])\n  edge_id  = gateway_shared_edge.main.id\n  name     = each.key\n  tags     = {{ {tags} }}\n}}\n",
            scene.provider_hcl(),
            scene.edge_hcl(extra),
        )
    };
    let mut absorbed = 0;
    for (i, (op, step)) in WRITES.iter().enumerate() {
        let what = format!("lost answer of {op} during {step:?}");
        let ws = scene.workspace(VERSION, &config("", "team = \"a\""));
        let lost = json!({"match": op, "error": "internal", "lost_response": true, "count": 1});
        if *step == Step::Create {
            scene.fault(lost.clone());
        }
        let mut clean = converge(&ws, &format!("{what}: apply"));
        if *step == Step::Update {
            ws.write(
                "main.tf",
                &config("  min_ttl = 300\n  tags = { cost = \"b\" }", "team = \"b\""),
            );
            scene.fault(lost.clone());
            clean &= converge(&ws, &format!("{what}: update"));
        }
        plan_is_empty(&ws, &format!("{what}: plan"));
        scene.assert_served(&["acme", "zeta"], 100);
        if *step == Step::Destroy {
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
        absorbed += usize::from(clean);
        eprintln!(
            "case {}/{}: {what}: {}",
            i + 1,
            WRITES.len(),
            if clean {
                "absorbed"
            } else {
                "converged on the next run"
            }
        );
    }
    eprintln!(
        "{absorbed} of {} lost answers absorbed within the same run",
        WRITES.len()
    );
}
