//! What the provider adds over Terraform itself, at emulator speed (the time model off): the
//! wall time of an apply and of a plan of one edge and 300 tenants, next to the same count of
//! `terraform_data` resources (Terraform's built-in provider, no AWS) in the same run. Prints
//! both and the ratio; asserts nothing. Terraform's own share grows with what each resource
//! holds in the state (it rewrites the state after each resource it applies), so it also
//! prints the same against `terraform_data` whose input makes it about as large there as a
//! tenant, and the state's bytes a resource of each. `GATEWAY_BENCH_LOG=DIR` writes the
//! ordered AWS call log of the gateway apply and plan to `DIR/apply.json` and
//! `DIR/plan.json`.
//!
//! ```sh
//! scripts/bench overhead [TENANTS]
//! cargo bench --bench overhead -- [TENANTS]
//! ```

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/scene/mod.rs"]
mod scene;

use std::time::{Duration, Instant};

use scene::{apply, destroy, plan_is_empty, Scene};
use serde_json::json;

const VERSION: &str = "1.15.5";
const DEFAULT_TENANTS: usize = 300;
/// The bytes of `workspace`'s state file for each resource instance in it.
fn state_bytes(workspace: &common::terraform::Workspace) -> usize {
    let text = std::fs::read_to_string(workspace.dir.path().join("terraform.tfstate"))
        .expect("read the state");
    let state: serde_json::Value = serde_json::from_str(&text).expect("a JSON state");
    let instances: usize = state["resources"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|r| r["instances"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0);
    text.len() / instances.max(1)
}

/// How long `step` takes (it asserts its own outcome).
fn timed(step: impl FnOnce()) -> Duration {
    let started = Instant::now();
    step();
    started.elapsed()
}

fn main() {
    let tenants = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(DEFAULT_TENANTS);
    let scene = Scene::new("bench-overhead");
    let rules = tenants.max(100);
    scene.configure(json!({"elbv2_rules_per_alb_quota": rules}));
    let names: Vec<String> = (0..tenants).map(|i| format!("\"t{i:04}\"")).collect();
    let set = names.join(", ");

    let baseline = scene.workspace(
        VERSION,
        &format!("resource \"terraform_data\" \"t\" {{\n  for_each = toset([{set}])\n  input    = each.key\n}}\n"),
    );
    let gateway = scene.workspace(
        VERSION,
        &format!(
            "{}{}\nresource \"gateway_tenant\" \"t\" {{\n  for_each = toset([{set}])\n  edge_id  = gateway_shared_edge.main.id\n  name     = each.key\n}}\n",
            scene.provider_hcl(),
            scene.edge_hcl(&format!("  max_listener_rules = {rules}")),
        ),
    );
    // Terraform's own cost for a resource grows with what the resource holds in the state,
    // which it rewrites after each one it applies: this baseline's input (kept twice, as
    // input and output) makes it about as large there as a tenant.
    let sized = scene.workspace(
        VERSION,
        &format!(
            "resource \"terraform_data\" \"t\" {{\n  for_each = toset([{set}])\n  input = {{\n    host = \"${{each.key}}.gateway.example.com\"\n    rule = \"arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/gateway-seed/7d726fc9717b8f66/934efa2e8fb30643/${{each.key}}\"\n    domain = \"d${{each.key}}abcdefgh.cloudfront.net\"\n  }}\n}}\n"
        ),
    );
    let _ = baseline.run(&["init", "-input=false", "-no-color"]);
    let _ = sized.run(&["init", "-input=false", "-no-color"]);

    println!("overhead: {tenants} resources, Terraform {VERSION}, -parallelism=10, emulator without its time model");
    // With GATEWAY_BENCH_LOG=DIR, each gateway command's ordered call log (each call with
    // `at`, seconds since the command began) goes to DIR/<command>.json.
    let logged = |what: &str, step: &dyn Fn()| {
        scene.reset_calls();
        let took = timed(step);
        if let Ok(dir) = std::env::var("GATEWAY_BENCH_LOG") {
            let log = scene.emulator.control("GET", "calls?log=1", None);
            std::fs::create_dir_all(&dir).expect("make the call log's directory");
            std::fs::write(format!("{dir}/{what}.json"), log["log"].to_string())
                .expect("write the call log");
        }
        took
    };
    let rows = [
        (
            "apply",
            timed(|| drop(apply(&baseline, "terraform_data apply"))),
            timed(|| drop(apply(&sized, "sized terraform_data apply"))),
            logged("apply", &|| drop(apply(&gateway, "gateway apply"))),
        ),
        (
            "plan",
            timed(|| drop(plan_is_empty(&baseline, "terraform_data plan"))),
            timed(|| drop(plan_is_empty(&sized, "sized terraform_data plan"))),
            logged("plan", &|| drop(plan_is_empty(&gateway, "gateway plan"))),
        ),
    ];
    let compare = |name: &str, base: fn(&(&str, Duration, Duration, Duration)) -> Duration| {
        for row @ (what, _, _, ours) in &rows {
            let base = base(row);
            println!(
                "  {what:<6} {name} {:>7.2?}   edge + gateway_tenant {:>7.2?}   ratio {:.2}",
                base,
                ours,
                ours.as_secs_f64() / base.as_secs_f64()
            );
        }
    };
    compare("terraform_data", |row| row.1);
    let [plain, large, tenant] = [&baseline, &sized, &gateway].map(state_bytes);
    println!(
        "  state bytes a resource: terraform_data {plain}, sized terraform_data {large}, gateway (edge and tenants) {tenant}"
    );
    compare("sized terraform_data", |row| row.2);
    destroy(&gateway, "gateway destroy");
}
