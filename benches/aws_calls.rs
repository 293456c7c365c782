//! AWS calls the provider makes for 100 tenants, counted by the honest emulator: a Terraform
//! 1.15.5 apply of one edge and 100 tenants, then a refresh (`plan -refresh-only`) and a plain
//! `plan` of the same state, and the destroy. Prints the calls per `service:Operation` and in
//! total for each; asserts nothing.
//!
//! Run with `scripts/bench` (or `cargo bench --bench aws_calls`).

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/scene/mod.rs"]
mod scene;

use std::time::Instant;

use scene::{Scene, EDGE};

const VERSION: &str = "1.15.5";
const TENANTS: usize = 100;

fn main() {
    let scene = Scene::new("bench-aws-calls");
    let names: Vec<String> = (0..TENANTS).map(|i| format!("t{i:03}")).collect();
    let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let config = format!(
        "{}{}\nresource \"gateway_tenant\" \"t\" {{\n  for_each = toset([{}])\n  edge_id  = gateway_shared_edge.main.id\n  name     = each.key\n}}\n",
        scene.provider_hcl(),
        scene.edge_hcl(""),
        list.join(", ")
    );
    let ws = scene.workspace(VERSION, &config);

    println!(
        "aws_calls: edge {EDGE} and {TENANTS} tenants, Terraform {VERSION}, parallelism 10, against the honest emulator"
    );
    let steps: [(&str, &[&str]); 4] = [
        (
            "apply (create edge + tenants)",
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        ),
        (
            "refresh (plan -refresh-only)",
            &["plan", "-refresh-only", "-input=false", "-no-color"],
        ),
        (
            "plan (refresh + diff)",
            &["plan", "-input=false", "-no-color"],
        ),
        (
            "destroy",
            &["destroy", "-auto-approve", "-input=false", "-no-color"],
        ),
    ];
    for (what, args) in steps {
        scene.reset_calls();
        let started = Instant::now();
        let out = ws.run(args);
        let elapsed = started.elapsed();
        let calls = scene.calls();
        println!(
            "\n{what}: terraform exit {} in {:.1?}; {} AWS calls ({:.2} per tenant), {} of them mutating",
            out.code,
            elapsed,
            calls.total,
            calls.total as f64 / TENANTS as f64,
            calls.mutating().values().sum::<u64>()
        );
        print!("{}", calls.table());
        if out.code != 0 {
            println!("  (terraform failed)\n{}\n{}", out.stdout, out.stderr);
            break;
        }
    }
}
