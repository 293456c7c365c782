//! How long onboarding takes at AWS's speed: a Terraform 1.15.5 apply of one edge and 300
//! tenants at `-parallelism=10`, then a `plan` of the same state and the destroy, against the
//! honest emulator with its time model on (AWS's latency, deployment and INSYNC times and
//! request-rate limits, all compressed by one scale factor; see testbed/README.md).
//!
//! Prints for each command the wall time, the AWS time it stands for (wall x scale), that
//! time in deployment cycles (one cycle = the modelled time a distribution takes to deploy a
//! change), the AWS calls per tenant by operation and the share of calls AWS would have
//! throttled. Asserts nothing.
//!
//! ```sh
//! scripts/bench timing [TENANTS]                 # 300 tenants unless TENANTS
//! cargo bench --bench aws_timing -- [TENANTS]
//! GATEWAY_BENCH_TENANTS=1000 GATEWAY_BENCH_SCALE=1 cargo bench --bench aws_timing
//! ```
//!
//! The configuration reads `gateway_edge_deployment` after the tenants, so the apply ends when
//! every partner is served, and the edge does not wait for its own deployment
//! (`GATEWAY_BENCH_WAIT=0` leaves the data source out and lets the edge wait).
//!
//! `GATEWAY_BENCH_STEPS=apply,plan` runs only those commands (a destroy of 1000 tenants at a
//! scale near 1 takes long).
//!
//! `GATEWAY_BENCH_PARALLELISM=N` runs Terraform with `-parallelism=N` instead of 10.
//!
//! `GATEWAY_BENCH_LOG=DIR` writes each command's ordered call log to `DIR/<command>.json`.
//!
//! `GATEWAY_BENCH_SCALE` (default 15) is the time compression. The provider's own pauses
//! are not on the emulator's clock: the bench sets `GATEWAY_POLL_INTERVAL` to the
//! provider's distribution poll interval divided by the scale (`GATEWAY_BENCH_POLL`
//! overrides it), which also caps its other pauses (see the printed note). Terraform's own
//! time is not on that clock either, and the compression multiplies it: with hundreds of
//! resources Terraform takes tens of milliseconds to start the next tenant in a slot, which
//! at 15x stands for most of a second of AWS time. A scale near 1 is the faithful figure.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/scene/mod.rs"]
mod scene;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use gateway::aws::wait::DISTRIBUTION_POLL_INTERVAL;
use gateway::domain::rules::HOSTS_PER_RULE;
use serde_json::{json, Value as Json};

use scene::{Scene, EDGE};

const VERSION: &str = "1.15.5";
const DEFAULT_TENANTS: usize = 300;
const DEFAULT_SCALE: f64 = 15.0;
/// Rules per load balancer before a quota increase.
const DEFAULT_RULE_QUOTA: usize = 100;

/// Calls and refusals of one command, per `service:Operation`.
struct Counts {
    calls: BTreeMap<String, u64>,
    throttled: BTreeMap<String, u64>,
}

impl Counts {
    fn read(scene: &Scene) -> Self {
        let answer = scene.emulator.control("GET", "calls", None);
        let table = |key: &str| -> BTreeMap<String, u64> {
            answer[key]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or_default()))
                        .collect()
                })
                .unwrap_or_default()
        };
        Self {
            calls: table("calls"),
            throttled: table("throttled"),
        }
    }

    fn total(&self) -> u64 {
        self.calls.values().sum()
    }

    fn throttled_total(&self) -> u64 {
        self.throttled.values().sum()
    }

    /// One row per operation, most frequent first: calls, calls per tenant, throttled.
    fn table(&self, tenants: usize) -> String {
        let mut rows: Vec<(&String, &u64)> = self.calls.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(5).max(9);
        let mut out = format!(
            "  {:<width$}  {:>7}  {:>10}  {:>9}\n",
            "operation", "calls", "per tenant", "throttled"
        );
        let per_tenant = |n: u64| n as f64 / tenants as f64;
        for (op, n) in rows {
            let throttled = self.throttled.get(op).copied().unwrap_or_default();
            out.push_str(&format!(
                "  {op:<width$}  {n:>7}  {:>10.2}  {throttled:>9}\n",
                per_tenant(*n)
            ));
        }
        out.push_str(&format!(
            "  {:<width$}  {:>7}  {:>10.2}  {:>9}\n",
            "total",
            self.total(),
            per_tenant(self.total()),
            self.throttled_total()
        ));
        out
    }
}

/// The first non-flag argument, else `GATEWAY_BENCH_TENANTS`, else 300.
fn tenants() -> usize {
    let from_args = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok());
    let from_env = || {
        std::env::var("GATEWAY_BENCH_TENANTS")
            .ok()
            .and_then(|v| v.parse().ok())
    };
    from_args.or_else(from_env).unwrap_or(DEFAULT_TENANTS)
}

fn scale() -> f64 {
    std::env::var("GATEWAY_BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|s: &f64| *s > 0.0)
        .unwrap_or(DEFAULT_SCALE)
}

fn main() {
    let tenants = tenants();
    let scale = scale();
    let scene = Scene::new("bench-aws-timing");
    // Five tenants' hosts per listener rule (the edge's default layout): the ALB's default
    // quota of 100 rules serves 500; beyond that, the platform team has had it raised (it is
    // adjustable) and tells the edge.
    let rules = tenants.div_ceil(HOSTS_PER_RULE).max(DEFAULT_RULE_QUOTA);
    // The seed is made at full speed; AWS's time starts with the edge.
    scene.configure(json!({"elbv2_rules_per_alb_quota": rules, "timing": {"scale": scale}}));
    let model: Json = scene.emulator.control("GET", "config", None)["timing"].clone();
    let deploy_s = model["cloudfront_deploy_s"].as_f64().unwrap_or(180.0);
    let insync_s = model["route53_insync_s"].as_f64().unwrap_or(60.0);

    let names: Vec<String> = (0..tenants).map(|i| format!("t{i:04}")).collect();
    let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let wait = std::env::var("GATEWAY_BENCH_WAIT").map_or(true, |v| v != "0");
    let served = if wait {
        "\ndata \"gateway_edge_deployment\" \"main\" {\n  edge_id    = gateway_shared_edge.main.id\n  depends_on = [gateway_tenant.t]\n}\n"
    } else {
        ""
    };
    let config = format!(
        "{}{}\nresource \"gateway_tenant\" \"t\" {{\n  for_each = toset([{}])\n  edge_id  = gateway_shared_edge.main.id\n  name     = each.key\n}}\n{served}",
        scene.provider_hcl(),
        // With the deployment read at the end, the edge need not wait for its own first one.
        scene.edge_hcl(&format!(
            "  max_listener_rules = {rules}\n  wait_for_deployment = {}",
            !wait
        )),
        list.join(", ")
    );
    let mut ws = scene.workspace(VERSION, &config);
    let poll = std::env::var("GATEWAY_BENCH_POLL").unwrap_or_else(|_| {
        let interval = DISTRIBUTION_POLL_INTERVAL.div_f64(scale);
        format!("{}ms", interval.as_millis().max(1))
    });
    // Later entries win: this replaces the scene's short test pauses.
    ws.env
        .push(("GATEWAY_POLL_INTERVAL".to_string(), poll.clone()));
    // The provider keeps to AWS's request rates on AWS's clock, compressed like the emulator's.
    let rate_scale = scale.round().max(1.0) as u32;
    ws.env
        .push(("GATEWAY_RATE_SCALE".to_string(), rate_scale.to_string()));

    // GATEWAY_BENCH_PARALLELISM sets Terraform's -parallelism (10, its default, unless given).
    let parallelism = format!(
        "-parallelism={}",
        std::env::var("GATEWAY_BENCH_PARALLELISM")
            .ok()
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(10)
    );
    let parallelism = parallelism.as_str();
    println!(
        "aws_timing: edge {EDGE} and {tenants} tenants, Terraform {VERSION}, {parallelism}, against the honest emulator's time model"
    );
    println!(
        "  AWS time = wall x {scale}; one deployment cycle = {deploy_s} s (CloudFront, after a distribution's latest change); Route53 INSYNC {insync_s} s"
    );
    println!(
        "  the apply {} with gateway_edge_deployment (every distribution Deployed, every record change INSYNC)",
        if wait { "ends" } else { "does not end" }
    );
    println!(
        "  rate limits (AWS time, per account): {}",
        model["rate_limits"]
    );
    println!(
        "  provider pauses: GATEWAY_POLL_INTERVAL={poll} wall, i.e. waiter polls every {:.1} s of AWS time (its distribution poll is {:?}); \
its SDK and conflict backoffs are capped by that value, not scaled; request rates kept x{}",
        parse_ms(&poll).as_secs_f64() * scale,
        DISTRIBUTION_POLL_INTERVAL,
        rate_scale,
    );

    let steps: [(&str, &[&str]); 3] = [
        (
            "apply (create edge + tenants)",
            &[
                "apply",
                "-auto-approve",
                "-input=false",
                "-no-color",
                parallelism,
            ],
        ),
        (
            "plan (refresh + diff)",
            &["plan", "-input=false", "-no-color", parallelism],
        ),
        (
            "destroy",
            &[
                "destroy",
                "-auto-approve",
                "-input=false",
                "-no-color",
                parallelism,
            ],
        ),
    ];
    // GATEWAY_BENCH_STEPS=apply,plan leaves out the destroy (at a scale near 1, a long one).
    let only = std::env::var("GATEWAY_BENCH_STEPS").ok();
    let wanted = |what: &str| {
        only.as_deref().is_none_or(|list| {
            list.split(',')
                .any(|step| what.split(' ').next() == Some(step.trim()))
        })
    };
    for (what, args) in steps.into_iter().filter(|(what, _)| wanted(what)) {
        scene.reset_calls();
        let started = Instant::now();
        let out = ws.run(args);
        let wall = started.elapsed();
        let counts = Counts::read(&scene);
        let aws = wall.mul_f64(scale);
        let total = counts.total();
        let throttled = counts.throttled_total();
        println!(
            "\n{what}: terraform exit {} in {:.1?} wall = {} of AWS time = {:.1} deployment cycles; \
{total} AWS calls ({:.2} per tenant), {throttled} throttled ({:.1}%)",
            out.code,
            wall,
            minutes(aws),
            aws.as_secs_f64() / deploy_s,
            total as f64 / tenants as f64,
            100.0 * throttled as f64 / total.max(1) as f64,
        );
        if let Ok(dir) = std::env::var("GATEWAY_BENCH_LOG") {
            // The ordered call log of each command, for a closer look.
            let log = scene.emulator.control("GET", "calls?log=1", None);
            std::fs::create_dir_all(&dir).expect("make the call log's directory");
            let file = format!("{dir}/{}.json", what.split(' ').next().unwrap_or(what));
            std::fs::write(&file, log["log"].to_string()).expect("write the call log");
        }
        if let Some(last) = last_change_at(&scene) {
            let last = last.mul_f64(scale);
            println!(
                "  the last change AWS accepted came {} in (AWS time); the {} after it are the waits for it to deploy and sync",
                minutes(last),
                minutes(aws.saturating_sub(last)),
            );
        }
        print!("{}", counts.table(tenants));
        if out.code != 0 {
            println!(
                "  (terraform failed)\n{}\n{}",
                tail(&out.stdout, 40),
                tail(&out.stderr, 40)
            );
            break;
        }
    }
}

/// When, since the calls were reset, AWS accepted the last change (wall time).
fn last_change_at(scene: &Scene) -> Option<Duration> {
    scene.served_writes_at().into_iter().map(|(_, at)| at).max()
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn parse_ms(value: &str) -> Duration {
    gateway::protocol::validators::parse_duration(value).unwrap_or_default()
}

fn minutes(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}m{:02}s", s / 60, s % 60)
}
