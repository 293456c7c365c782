//! What the provider adds over Terraform itself, at emulator speed (the time model off): the
//! wall time of an apply and of a plan of one edge and 300 tenants, next to the same count of
//! `terraform_data` resources (Terraform's built-in provider, no AWS) in the same run. Prints
//! both and the ratio; asserts nothing. Terraform's own share grows with what each resource
//! holds in the state (it rewrites the state after each resource it applies), so it also
//! prints the same against `terraform_data` whose input makes it about as large there as a
//! tenant, and the state's bytes a resource of each. `GATEWAY_BENCH_LOG=DIR` writes the
//! ordered AWS call log of the gateway apply and of its last plan to `DIR/apply.json` and
//! `DIR/plan.json`.
//!
//! A plan changes nothing, so the three plans are run in turn `GATEWAY_BENCH_PLANS` times (5
//! unless given) and each one's median is compared, with the fastest and slowest beside it:
//! on two shared cores one run of a second-long command varies by a tenth or more.
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
const DEFAULT_PLANS: usize = 5;
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

/// The median of `runs` (ordered by their first field: the time), the fastest and the slowest.
fn median<T: Ord + Copy>(mut runs: Vec<T>) -> (T, T, T) {
    runs.sort();
    (runs[runs.len() / 2], runs[0], runs[runs.len() - 1])
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
    // Each gateway command's time, and the emulator's own work in it: moto's, one call at a
    // time under its lock, which AWS would do in its own time. With GATEWAY_BENCH_LOG=DIR,
    // its ordered call log (each call with `at`, seconds since the command began) goes to
    // DIR/<command>.json.
    let logged = |what: &str, step: &dyn Fn()| {
        scene.reset_calls();
        let took = timed(step);
        let log = scene.emulator.control("GET", "calls?log=1", None);
        let work_ms: f64 = log["log"]
            .as_array()
            .map(|calls| calls.iter().filter_map(|c| c["served_ms"].as_f64()).sum())
            .unwrap_or(0.0);
        if let Ok(dir) = std::env::var("GATEWAY_BENCH_LOG") {
            std::fs::create_dir_all(&dir).expect("make the call log's directory");
            std::fs::write(format!("{dir}/{what}.json"), log["log"].to_string())
                .expect("write the call log");
        }
        (took, Duration::from_secs_f64(work_ms / 1000.0))
    };
    let apply_times = (
        timed(|| drop(apply(&baseline, "terraform_data apply"))),
        timed(|| drop(apply(&sized, "sized terraform_data apply"))),
        logged("apply", &|| drop(apply(&gateway, "gateway apply"))),
    );
    let plans: usize = std::env::var("GATEWAY_BENCH_PLANS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_PLANS);
    let (mut plain_runs, mut sized_runs, mut gateway_runs) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..plans {
        plain_runs.push(timed(|| {
            drop(plan_is_empty(&baseline, "terraform_data plan"))
        }));
        sized_runs.push(timed(|| {
            drop(plan_is_empty(&sized, "sized terraform_data plan"))
        }));
        gateway_runs.push(logged("plan", &|| {
            drop(plan_is_empty(&gateway, "gateway plan"))
        }));
    }
    let (plain_plans, sized_plans) = (median(plain_runs), median(sized_runs));
    let gateway_plans = median(gateway_runs);
    println!(
        "  plans, median of {plans} (fastest-slowest): terraform_data {:.2?} ({:.2?}-{:.2?}), sized terraform_data {:.2?} ({:.2?}-{:.2?}), gateway {:.2?} ({:.2?}-{:.2?})",
        plain_plans.0, plain_plans.1, plain_plans.2,
        sized_plans.0, sized_plans.1, sized_plans.2,
        gateway_plans.0 .0, gateway_plans.1 .0, gateway_plans.2 .0,
    );
    // Each row: the command, its two baselines, and the gateway run with the emulator's work
    // in it (for the plans, the median run's).
    let rows = [
        ("apply", apply_times.0, apply_times.1, apply_times.2),
        ("plan", plain_plans.0, sized_plans.0, gateway_plans.0),
    ];
    type Row<'a> = (&'a str, Duration, Duration, (Duration, Duration));
    let compare = |name: &str, base: fn(&Row) -> Duration| {
        for row @ (what, _, _, (ours, _)) in &rows {
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
    for (what, base, _, (ours, work)) in &rows {
        println!(
            "  {what:<6} the emulator's own work in the gateway run {:>7.2?} (moto, one call at a time); taken off, {:.2} x terraform_data (a floor: some of that work overlapped other work)",
            work,
            ours.saturating_sub(*work).as_secs_f64() / base.as_secs_f64()
        );
    }
    destroy(&gateway, "gateway destroy");
}
