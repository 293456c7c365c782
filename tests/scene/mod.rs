//! The stage end-to-end tests of the edge play on: a private honest emulator per test (so tests
//! run in parallel without resetting each other's AWS), the seed scenario made in it by
//! `testbed/seed.py` (load balancer, HTTPS listener, target group, certificate, hosted zone),
//! Terraform workspaces wired to it, views of what the provider left in AWS, and out-of-band
//! changes to it.
//!
//! [`Scene::on_ministack`] sets the same stage on ministack (PyPI, installed by
//! `scripts/setup-tools.sh`), an emulator written by others: what the provider does there was
//! not shaped by the project's own emulator. ministack has no control API (configuration,
//! faults, call counts, uncovered hosts), and the scene's methods that need one panic there.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_cloudfront::types as cf;
use aws_sdk_route53::types as r53;
use serde_json::{json, Value as Json};

use crate::common::emulator::{self, python, Sdk};

pub mod saas;
use crate::common::succeeded;
use crate::common::terraform::{ensure_tools, repo_root, Output, Workspace};

/// How long one control API call may take (the emulator serves one AWS call at a time).
const CONTROL_TIMEOUT: Duration = Duration::from_secs(60);
/// How long ministack may take to answer its health check once started.
const MINISTACK_START_TIMEOUT: Duration = Duration::from_secs(60);
/// How often to ask meanwhile.
const MINISTACK_START_POLL: Duration = Duration::from_millis(100);
/// Starts of ministack to try, each on another free port: ministack takes a port number, not a
/// socket, and another process may bind the port between our probe and ministack's bind (then
/// ministack exits at once).
const MINISTACK_START_ATTEMPTS: usize = 3;
/// The edge every scene's configurations declare.
pub const EDGE: &str = "gateway-e2e";
/// Comment prefix of the pool's distributions (see `domain::edge::pool_comment`).
pub const POOL_COMMENT_PREFIX: &str = "gateway edge ";
/// Prefix of the names of the edge's cache and origin request policies.
pub const POLICY_PREFIX: &str = "gateway-";
/// Waits short enough for an emulator, as the brief of these tests asks: every provider poll
/// and backoff at 20 ms, one InProgress / PENDING read per change.
pub const POLL_INTERVAL: &str = "20ms";
pub const FAST: &[(&str, u64)] = &[("cloudfront_deploy_reads", 1), ("route53_pending_reads", 1)];

/// Which emulator answers a scene's AWS calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmulatorKind {
    /// The project's honest emulator, `testbed/serve.py`, with its control API.
    Honest,
    /// ministack (`.tools/bin/ministack`): no control API, rule priorities not kept unique,
    /// every distribution Deployed at once, account 000000000000.
    Ministack,
}

impl EmulatorKind {
    /// How the scene's log lines name it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Honest => "emulator",
            Self::Ministack => "ministack",
        }
    }
}

/// One emulator process, killed when dropped.
pub struct Emulator {
    child: Child,
    pub kind: EmulatorKind,
    pub url: String,
    pub log: PathBuf,
}

/// The directory of the scenes' logs, `target/tmp/scene/`.
fn scene_logs() -> PathBuf {
    let logs = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scene");
    std::fs::create_dir_all(&logs).unwrap();
    logs
}

/// `.tools/bin/ministack`, installed when missing.
fn ministack() -> PathBuf {
    ensure_tools();
    repo_root().join(".tools/bin/ministack")
}

/// A loopback port free when asked.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().unwrap().port()
}

/// One HTTP/1.1 request to `host` (`127.0.0.1:<port>`), the connection closed after it; answers
/// the status and the body.
fn http(host: &str, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(CONTROL_TIMEOUT))?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, text) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    Ok((status, text.to_string()))
}

impl Emulator {
    /// Starts an emulator on a free loopback port; `name` names its log file under
    /// `target/tmp/scene/`.
    pub fn start(name: &str) -> Self {
        let log = scene_logs().join(format!("{name}.emulator.log"));
        let (child, url) = emulator::spawn(&log);
        Self {
            child,
            kind: EmulatorKind::Honest,
            url,
            log,
        }
    }

    /// Starts ministack on a free loopback port and waits until it is healthy; `name` names
    /// its log file under `target/tmp/scene/`, and the directory beside it that ministack
    /// takes as its TMPDIR (it writes a pid file there).
    pub fn start_ministack(name: &str) -> Self {
        let logs = scene_logs();
        let log = logs.join(format!("{name}.ministack.log"));
        let tmp = logs.join(format!("{name}.ministack.tmp"));
        std::fs::create_dir_all(&tmp).unwrap();
        let mut outcome = String::new();
        for _ in 0..MINISTACK_START_ATTEMPTS {
            let port = free_port();
            let file = std::fs::File::create(&log).expect("ministack log");
            let mut child = Command::new(ministack())
                .env("GATEWAY_PORT", port.to_string())
                .env("BIND_HOST", "127.0.0.1")
                .env("TMPDIR", &tmp)
                .stdin(Stdio::null())
                .stdout(file.try_clone().unwrap())
                .stderr(file)
                .spawn()
                .expect("starting .tools/bin/ministack");
            let url = format!("http://127.0.0.1:{port}");
            // Another process's answer on the port does not count: ours logs that it bound it.
            let bound = format!("Running on {url}");
            let deadline = Instant::now() + MINISTACK_START_TIMEOUT;
            outcome = loop {
                if let Some(status) = child.try_wait().unwrap() {
                    break format!("exited ({status})");
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "ministack not healthy in {MINISTACK_START_TIMEOUT:?}; log {}:\n{}",
                        log.display(),
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                }
                let ours = std::fs::read_to_string(&log).is_ok_and(|l| l.contains(&bound));
                let host = url.trim_start_matches("http://");
                if ours && matches!(http(host, "GET", "/_ministack/health", ""), Ok((200, _))) {
                    return Self {
                        child,
                        kind: EmulatorKind::Ministack,
                        url,
                        log,
                    };
                }
                std::thread::sleep(MINISTACK_START_POLL);
            };
        }
        panic!(
            "ministack did not start: {outcome}; log {}:\n{}",
            log.display(),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// One call of the control API (`/honest-api/<path>`), answered with JSON. Only the
    /// honest emulator has one: on ministack this panics.
    pub fn control(&self, method: &str, path: &str, body: Option<&Json>) -> Json {
        assert!(
            self.kind == EmulatorKind::Honest,
            "ministack has no control API: {method} /honest-api/{path} needs the project's emulator (Scene::new)"
        );
        let host = self.url.trim_start_matches("http://");
        let body = body.map(Json::to_string).unwrap_or_default();
        let (status, text) = http(host, method, &format!("/honest-api/{path}"), &body)
            .expect("calling the emulator's control API");
        assert_eq!(status, 200, "{method} /honest-api/{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"))
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// AWS calls the emulator served, per `service:Operation`.
#[derive(Debug, Clone, Default)]
pub struct Calls {
    pub by_operation: BTreeMap<String, u64>,
    pub total: u64,
}

impl Calls {
    /// Operations that change something (anything but Get*, List*, Describe*).
    pub fn mutating(&self) -> BTreeMap<String, u64> {
        self.by_operation
            .iter()
            .filter(|(op, _)| is_mutating(op))
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    /// The counts as a table, most frequent first, and the total.
    pub fn table(&self) -> String {
        let mut rows: Vec<(&String, &u64)> = self.by_operation.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(5).max(5);
        let mut out = String::new();
        for (op, n) in rows {
            out.push_str(&format!("  {op:<width$}  {n:>6}\n"));
        }
        out.push_str(&format!("  {:<width$}  {:>6}\n", "total", self.total));
        out
    }
}

/// Whether `service:Operation` changes something (anything but Get*, List*, Describe*).
pub fn is_mutating(op: &str) -> bool {
    let name = op.split_once(':').map(|(_, n)| n).unwrap_or(op);
    !["Get", "List", "Describe"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// What `testbed/seed.py` made, from the `terraform.tfvars.json` it wrote.
#[derive(Debug, Clone)]
pub struct Seed {
    pub region: String,
    pub domain: String,
    pub hosted_zone_id: String,
    pub certificate_arn: String,
    pub alb_listener_arn: String,
    pub target_group_arn: String,
    pub tfvars: PathBuf,
}

/// A pool (or foreign) distribution as `ListDistributions` shows it.
#[derive(Debug, Clone)]
pub struct Distribution {
    pub id: String,
    pub domain_name: String,
    pub comment: String,
    pub enabled: bool,
    pub aliases: Vec<String>,
}

/// A listener rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub arn: String,
    pub priority: String,
    pub is_default: bool,
    pub hosts: Vec<String>,
    pub target_groups: Vec<String>,
}

/// A Route53 record set, names without the trailing dot.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub name: String,
    pub kind: String,
    pub alias_dns_name: Option<String>,
    pub values: Vec<String>,
    raw: r53::ResourceRecordSet,
}

/// AWS's AllViewer origin request policy.
pub const ALL_VIEWER: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";
/// The hosted zone of CloudFront's alias targets.
pub const CLOUDFRONT_ZONE: &str = "Z2FDTNDATAQYW2";

/// What [`Scene::build_by_hand`] made.
#[derive(Debug, Clone)]
pub struct HandMade {
    pub distribution_id: String,
    /// The load balancer's DNS name, the distribution's origin.
    pub origin_host: String,
    pub cache_policy_id: String,
}

/// One distribution in a [`Snapshot`]: its comment and aliases apart from the rest of its
/// configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotDistribution {
    pub comment: String,
    pub aliases: BTreeSet<String>,
    pub config: String,
    pub tags: BTreeMap<String, String>,
}

/// One listener rule in a [`Snapshot`]: as DescribeRules shows it, and its tags.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRule {
    pub rule: String,
    pub tags: BTreeMap<String, String>,
}

/// What [`Scene::snapshot`] found, keyed by distribution id, rule ARN and `name type`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub distributions: BTreeMap<String, SnapshotDistribution>,
    pub rules: BTreeMap<String, SnapshotRule>,
    pub records: BTreeMap<String, String>,
}

/// How the tenants are spread, as [`Scene::assert_served`] found them.
#[derive(Debug)]
pub struct Served {
    /// Aliases per pool distribution, oldest first as listed.
    pub aliases_per_distribution: Vec<usize>,
    /// Tenant host -> (distribution id, rule ARN).
    pub tenants: BTreeMap<String, (String, String)>,
}

fn norm(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// A private emulator with the seed scenario in it, and clients to look at it.
pub struct Scene {
    /// The honest emulator ([`Scene::new`]) or ministack ([`Scene::on_ministack`]).
    pub emulator: Emulator,
    pub seed: Seed,
    pub name: String,
    dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    cloudfront: aws_sdk_cloudfront::Client,
    route53: aws_sdk_route53::Client,
    elbv2: aws_sdk_elasticloadbalancingv2::Client,
}

impl Scene {
    /// A fresh emulator (fast deploys), seeded.
    pub fn new(name: &str) -> Self {
        let started = Instant::now();
        let emulator = Emulator::start(name);
        let settings: serde_json::Map<String, Json> = FAST
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        emulator.control("POST", "config", Some(&Json::Object(settings)));
        Self::seeded(name, emulator, started)
    }

    /// A fresh ministack, seeded. It deploys at once; the methods that need the honest
    /// emulator's control API (configure, fault, calls, uncovered...) panic on it.
    pub fn on_ministack(name: &str) -> Self {
        let started = Instant::now();
        Self::seeded(name, Emulator::start_ministack(name), started)
    }

    /// The seed scenario made in `emulator` by `testbed/seed.py`, and clients to look at it.
    fn seeded(name: &str, emulator: Emulator, started: Instant) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let tfvars = dir.path().join("terraform.tfvars.json");
        let seeding = Command::new(python())
            .arg(repo_root().join("testbed/seed.py"))
            .args(["--endpoint", &emulator.url, "--out"])
            .arg(&tfvars)
            .output();
        succeeded(seeding, "testbed/seed.py");
        let vars: Json = serde_json::from_str(&std::fs::read_to_string(&tfvars).unwrap()).unwrap();
        let var = |k: &str| {
            vars[k]
                .as_str()
                .unwrap_or_else(|| panic!("{k} missing from {vars}"))
                .to_string()
        };
        let seed = Seed {
            region: var("aws_region"),
            domain: var("domain"),
            hosted_zone_id: var("hosted_zone_id"),
            certificate_arn: var("certificate_arn"),
            alb_listener_arn: var("alb_listener_arn"),
            target_group_arn: var("target_group_arn"),
            tfvars,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let Sdk {
            cloudfront,
            route53,
            elbv2,
        } = Sdk::new(&emulator.url, &seed.region);
        eprintln!(
            "[{name}] {} {} seeded in {:.1?}",
            emulator.kind.name(),
            emulator.url,
            started.elapsed()
        );
        Self {
            emulator,
            seed,
            name: name.to_string(),
            dir,
            rt,
            cloudfront,
            route53,
            elbv2,
        }
    }

    // -- the emulator ------------------------------------------------------------------------

    /// Merges settings into the emulator's configuration (quotas, delays).
    pub fn configure(&self, settings: Json) {
        self.emulator.control("POST", "config", Some(&settings));
    }

    /// Arms a fault rule (see testbed/README.md).
    pub fn fault(&self, rule: Json) {
        self.emulator.control("POST", "faults", Some(&rule));
    }

    /// Served hosts some rule write left matched by no rule, as the emulator logged them
    /// (`host` and `operation` of each).
    pub fn uncovered(&self) -> Vec<(String, String)> {
        let answer = self.emulator.control("GET", "uncovered", None);
        answer["uncovered"]
            .as_array()
            .expect("uncovered")
            .iter()
            .map(|e| {
                let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
                (text("host"), text("operation"))
            })
            .collect()
    }

    /// The fault rules still armed.
    pub fn armed_faults(&self) -> Json {
        self.emulator.control("GET", "faults", None)
    }

    pub fn calls(&self) -> Calls {
        let answer = self.emulator.control("GET", "calls", None);
        Calls {
            by_operation: answer["calls"]
                .as_object()
                .expect("calls")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or_default()))
                .collect(),
            total: answer["total"].as_u64().unwrap_or_default(),
        }
    }

    /// The writes AWS has answered since the last reset of the calls, in order (a call held
    /// by the time model's latency is listed once it is served).
    pub fn served_writes(&self) -> Vec<String> {
        self.served_writes_at()
            .into_iter()
            .map(|(op, _)| op)
            .collect()
    }

    /// [`Self::served_writes`], each with when it was served (wall time since the reset).
    pub fn served_writes_at(&self) -> Vec<(String, Duration)> {
        let answer = self.emulator.control("GET", "calls?log=1", None);
        answer["log"]
            .as_array()
            .map(|log| {
                log.iter()
                    .filter(|e| e["status"].as_u64().is_some_and(|s| s < 300))
                    .filter_map(|e| Some((e["op"].as_str()?, e["at"].as_f64()?)))
                    .filter(|(op, _)| is_mutating(op))
                    .map(|(op, at)| (op.to_string(), Duration::from_secs_f64(at)))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn reset_calls(&self) {
        self.emulator
            .control("POST", "calls/reset", Some(&json!({})));
    }

    // -- Terraform ---------------------------------------------------------------------------

    /// The `terraform` and `provider` blocks, every endpoint at the emulator.
    pub fn provider_hcl(&self) -> String {
        let url = &self.emulator.url;
        format!(
            r#"terraform {{
  required_providers {{
    gateway = {{
      source = "example/gateway"
    }}
  }}
}}

provider "gateway" {{
  region                      = "{region}"
  skip_credentials_validation = true
  endpoints {{
    cloudfront = "{url}"
    route53    = "{url}"
    elbv2      = "{url}"
    sts        = "{url}"
  }}
}}
"#,
            region = self.seed.region
        )
    }

    /// `gateway_shared_edge.main` on the seeded objects, with `extra` lines in its body.
    pub fn edge_hcl(&self, extra: &str) -> String {
        let s = &self.seed;
        format!(
            r#"
resource "gateway_shared_edge" "main" {{
  name             = "{EDGE}"
  domain           = "{domain}"
  hosted_zone_id   = "{zone}"
  certificate_arn  = "{cert}"
  alb_listener_arn = "{listener}"
  target_group_arn = "{tg}"
{extra}
}}
"#,
            domain = s.domain,
            zone = s.hosted_zone_id,
            cert = s.certificate_arn,
            listener = s.alb_listener_arn,
            tg = s.target_group_arn,
        )
    }

    /// A workspace for `version` with `main_tf`, credentials the emulator takes and short waits.
    pub fn workspace(&self, version: &'static str, main_tf: &str) -> Workspace {
        let mut ws = Workspace::new(version, main_tf);
        for (k, v) in [
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_PROFILE", ""),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("GATEWAY_POLL_INTERVAL", POLL_INTERVAL),
        ] {
            ws.env.push((k.to_string(), v.to_string()));
        }
        let scale = emulator::TEST_RATE_SCALE.to_string();
        ws.env.push(("GATEWAY_RATE_SCALE".to_string(), scale));
        ws
    }

    pub fn host(&self, tenant: &str) -> String {
        format!("{tenant}.{}", self.seed.domain)
    }

    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    // -- what is in AWS ----------------------------------------------------------------------

    /// Every distribution in the account.
    pub fn distributions(&self) -> Vec<Distribution> {
        self.block_on(async {
            let mut pages = self.cloudfront.list_distributions().into_paginator().send();
            let mut out = Vec::new();
            while let Some(page) = pages.next().await {
                let list = page.expect("ListDistributions").distribution_list;
                for d in list.and_then(|l| l.items).unwrap_or_default() {
                    out.push(Distribution {
                        id: d.id,
                        domain_name: norm(&d.domain_name),
                        comment: d.comment,
                        enabled: d.enabled,
                        aliases: d
                            .aliases
                            .and_then(|a| a.items)
                            .unwrap_or_default()
                            .iter()
                            .map(|a| norm(a))
                            .collect(),
                    });
                }
            }
            out
        })
    }

    /// The edges' distributions: those whose comment marks them as a pool's.
    pub fn pool(&self) -> Vec<Distribution> {
        self.distributions()
            .into_iter()
            .filter(|d| d.comment.starts_with(POOL_COMMENT_PREFIX))
            .collect()
    }

    /// Names of the custom cache policies and origin request policies.
    pub fn custom_policies(&self) -> Vec<String> {
        let cloudfront = &self.cloudfront;
        self.block_on(async {
            let caches = cloudfront
                .list_cache_policies()
                .r#type(cf::CachePolicyType::Custom);
            let caches = caches.send().await.expect("ListCachePolicies");
            let caches = caches.cache_policy_list.and_then(|l| l.items);
            let origins = cloudfront
                .list_origin_request_policies()
                .r#type(cf::OriginRequestPolicyType::Custom);
            let origins = origins.send().await.expect("ListOriginRequestPolicies");
            let origins = origins.origin_request_policy_list.and_then(|l| l.items);
            let cache_names = caches
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| p.cache_policy?.cache_policy_config)
                .map(|c| format!("cache policy {}", c.name));
            let origin_names = origins
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| p.origin_request_policy?.origin_request_policy_config)
                .map(|c| format!("origin request policy {}", c.name));
            cache_names.chain(origin_names).collect()
        })
    }

    /// Every rule of the seeded listener, the default one included.
    pub fn rules(&self) -> Vec<Rule> {
        self.block_on(async {
            let mut pages = self
                .elbv2
                .describe_rules()
                .listener_arn(&self.seed.alb_listener_arn)
                .into_paginator()
                .send();
            let mut out = Vec::new();
            while let Some(page) = pages.next().await {
                for r in page.expect("DescribeRules").rules.unwrap_or_default() {
                    let hosts = r
                        .conditions
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|c| c.field.as_deref() == Some("host-header"))
                        .flat_map(|c| {
                            c.host_header_config
                                .and_then(|h| h.values)
                                .or(c.values)
                                .unwrap_or_default()
                        })
                        .map(|h| norm(&h))
                        .collect();
                    let target_groups = r
                        .actions
                        .unwrap_or_default()
                        .into_iter()
                        .flat_map(|a| {
                            let mut arns: Vec<String> = a.target_group_arn.into_iter().collect();
                            arns.extend(
                                a.forward_config
                                    .and_then(|f| f.target_groups)
                                    .unwrap_or_default()
                                    .into_iter()
                                    .filter_map(|t| t.target_group_arn),
                            );
                            arns
                        })
                        .collect::<BTreeSet<String>>()
                        .into_iter()
                        .collect();
                    out.push(Rule {
                        arn: r.rule_arn.unwrap_or_default(),
                        priority: r.priority.unwrap_or_default(),
                        is_default: r.is_default.unwrap_or(false),
                        hosts,
                        target_groups,
                    });
                }
            }
            out
        })
    }

    /// Tags of a listener rule.
    pub fn rule_tags(&self, arn: &str) -> BTreeMap<String, String> {
        self.block_on(async {
            self.elbv2
                .describe_tags()
                .resource_arns(arn)
                .send()
                .await
                .expect("DescribeTags")
                .tag_descriptions
                .unwrap_or_default()
                .into_iter()
                .flat_map(|d| d.tags.unwrap_or_default())
                .filter_map(|t| Some((t.key?, t.value.unwrap_or_default())))
                .collect()
        })
    }

    /// Every record set of the seeded zone.
    pub fn records(&self) -> Vec<Record> {
        self.block_on(async {
            let mut out = Vec::new();
            let mut start: Option<(String, r53::RrType, Option<String>)> = None;
            loop {
                let mut request = self
                    .route53
                    .list_resource_record_sets()
                    .hosted_zone_id(&self.seed.hosted_zone_id);
                if let Some((name, kind, id)) = start.take() {
                    request = request
                        .start_record_name(name)
                        .start_record_type(kind)
                        .set_start_record_identifier(id);
                }
                let page = request.send().await.expect("ListResourceRecordSets");
                for r in &page.resource_record_sets {
                    out.push(Record {
                        name: norm(&r.name),
                        kind: r.r#type.as_str().to_string(),
                        alias_dns_name: r.alias_target.as_ref().map(|a| norm(&a.dns_name)),
                        values: r
                            .resource_records
                            .as_deref()
                            .unwrap_or_default()
                            .iter()
                            .map(|v| v.value.clone())
                            .collect(),
                        raw: r.clone(),
                    });
                }
                match (
                    page.is_truncated,
                    page.next_record_name,
                    page.next_record_type,
                ) {
                    (true, Some(name), Some(kind)) => {
                        start = Some((name, kind, page.next_record_identifier))
                    }
                    _ => break,
                }
            }
            out
        })
    }

    /// Address records (A, AAAA) of the zone.
    pub fn address_records(&self) -> Vec<Record> {
        self.records()
            .into_iter()
            .filter(|r| r.kind == "A" || r.kind == "AAAA")
            .collect()
    }

    // -- a setup made without the provider --------------------------------------------------

    /// Builds with the SDK alone what the provider's users ran before it, as a CDK stack makes
    /// it: one distribution in front of the load balancer (its origin over HTTPS 443, a cache
    /// policy with a minimum TTL of 180 s and the `Host` header in the key, AWS's AllViewer
    /// origin request policy), holding every host of `names` as an alias; one host rule per
    /// name forwarding to the shared target group (those in `odd` also match a path); and A
    /// and AAAA alias records to the distribution.
    pub fn build_by_hand(&self, names: &[&str], odd: &[&str]) -> HandMade {
        let hosts: Vec<String> = names.iter().map(|n| self.host(n)).collect();
        let seed = &self.seed;
        self.block_on(async {
            let listener = self
                .elbv2
                .describe_listeners()
                .listener_arns(&seed.alb_listener_arn)
                .send()
                .await
                .expect("DescribeListeners");
            let balancer_arn = listener.listeners.unwrap_or_default()[0]
                .load_balancer_arn
                .clone()
                .unwrap();
            let balancers = self
                .elbv2
                .describe_load_balancers()
                .load_balancer_arns(balancer_arn)
                .send()
                .await
                .expect("DescribeLoadBalancers");
            let origin_host = balancers.load_balancers.unwrap_or_default()[0]
                .dns_name
                .clone()
                .unwrap();
            let policy =
                emulator::cache_policy_config("SeedStackEdgeCachePolicy4B1A2C3D", 180, &["Host"]);
            let policy = self
                .cloudfront
                .create_cache_policy()
                .cache_policy_config(policy)
                .send()
                .await
                .expect("CreateCachePolicy");
            let policy_id = policy.cache_policy.unwrap().id;
            let mut config = emulator::distribution_config("SeedStack-Edge-1", &[]);
            config.comment = "SeedStack/Edge".into();
            let origin_id = "SeedStackEdgeOrigin1D1E4F2A";
            let origin = &mut config.origins.as_mut().unwrap().items[0];
            origin.id = origin_id.into();
            origin.domain_name = origin_host.clone();
            let behavior = config.default_cache_behavior.as_mut().unwrap();
            behavior.target_origin_id = origin_id.into();
            behavior.cache_policy_id = Some(policy_id.clone());
            behavior.origin_request_policy_id = Some(ALL_VIEWER.into());
            behavior.compress = Some(true);
            config.viewer_certificate = Some(
                cf::ViewerCertificate::builder()
                    .acm_certificate_arn(&seed.certificate_arn)
                    .ssl_support_method(cf::SslSupportMethod::SniOnly)
                    .minimum_protocol_version(cf::MinimumProtocolVersion::TlSv122021)
                    .build(),
            );
            config.price_class = Some(cf::PriceClass::PriceClass100);
            config.aliases = Some(
                cf::Aliases::builder()
                    .quantity(hosts.len() as i32)
                    .set_items(Some(hosts.clone()))
                    .build()
                    .unwrap(),
            );
            let made = self
                .cloudfront
                .create_distribution()
                .distribution_config(config)
                .send()
                .await
                .expect("CreateDistribution")
                .distribution
                .unwrap();
            for (index, (name, host)) in names.iter().zip(&hosts).enumerate() {
                let mut conditions = vec![aws_sdk_elasticloadbalancingv2::types::RuleCondition::builder()
                    .field("host-header")
                    .host_header_config(
                        aws_sdk_elasticloadbalancingv2::types::HostHeaderConditionConfig::builder()
                            .values(host)
                            .build(),
                    )
                    .build()];
                if odd.contains(name) {
                    conditions.push(
                        aws_sdk_elasticloadbalancingv2::types::RuleCondition::builder()
                            .field("path-pattern")
                            .path_pattern_config(
                                aws_sdk_elasticloadbalancingv2::types::PathPatternConditionConfig::builder()
                                    .values("/legacy/*")
                                    .build(),
                            )
                            .build(),
                    );
                }
                self.elbv2
                    .create_rule()
                    .listener_arn(&seed.alb_listener_arn)
                    .priority(index as i32 + 1)
                    .set_conditions(Some(conditions))
                    .actions(
                        aws_sdk_elasticloadbalancingv2::types::Action::builder()
                            .r#type(aws_sdk_elasticloadbalancingv2::types::ActionTypeEnum::Forward)
                            .target_group_arn(&seed.target_group_arn)
                            .build(),
                    )
                    .tags(
                        aws_sdk_elasticloadbalancingv2::types::Tag::builder()
                            .key("Project")
                            .value("partners")
                            .build(),
                    )
                    .send()
                    .await
                    .expect("CreateRule");
                let changes = ["A", "AAAA"].map(|kind| {
                    let target = r53::AliasTarget::builder()
                        .hosted_zone_id(CLOUDFRONT_ZONE)
                        .dns_name(format!("{}.", made.domain_name))
                        .evaluate_target_health(false)
                        .build()
                        .unwrap();
                    let set = r53::ResourceRecordSet::builder()
                        .name(format!("{host}."))
                        .r#type(r53::RrType::from(kind))
                        .alias_target(target)
                        .build()
                        .unwrap();
                    r53::Change::builder()
                        .action(r53::ChangeAction::Create)
                        .resource_record_set(set)
                        .build()
                        .unwrap()
                });
                self.route53
                    .change_resource_record_sets()
                    .hosted_zone_id(&seed.hosted_zone_id)
                    .change_batch(
                        r53::ChangeBatch::builder()
                            .set_changes(Some(changes.to_vec()))
                            .build()
                            .unwrap(),
                    )
                    .send()
                    .await
                    .expect("ChangeResourceRecordSets");
            }
            HandMade {
                distribution_id: made.id,
                origin_host,
                cache_policy_id: policy_id,
            }
        })
    }

    /// Everything the account holds that a viewer's request goes through, as text: each
    /// distribution's configuration and tags, each rule of the listener with its tags, each
    /// record set, and the cache policies.
    pub fn snapshot(&self) -> Snapshot {
        let records = self.records();
        self.block_on(async {
            let mut snapshot = Snapshot::default();
            let list = self
                .cloudfront
                .list_distributions()
                .send()
                .await
                .expect("ListDistributions");
            for d in list
                .distribution_list
                .and_then(|l| l.items)
                .unwrap_or_default()
            {
                let mut config = self
                    .cloudfront
                    .get_distribution_config()
                    .id(&d.id)
                    .send()
                    .await
                    .expect("GetDistributionConfig")
                    .distribution_config
                    .unwrap();
                let tags = self
                    .cloudfront
                    .list_tags_for_resource()
                    .resource(&d.arn)
                    .send()
                    .await
                    .expect("ListTagsForResource")
                    .tags
                    .and_then(|t| t.items)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| (t.key, t.value.unwrap_or_default()))
                    .collect();
                let aliases = config
                    .aliases
                    .as_ref()
                    .and_then(|a| a.items.clone())
                    .unwrap_or_default();
                snapshot.distributions.insert(
                    d.id.clone(),
                    SnapshotDistribution {
                        comment: std::mem::take(&mut config.comment),
                        aliases: aliases.into_iter().collect(),
                        config: {
                            config.aliases = None;
                            format!("{config:?}")
                        },
                        tags,
                    },
                );
            }
            let rules = self
                .elbv2
                .describe_rules()
                .listener_arn(&self.seed.alb_listener_arn)
                .send()
                .await
                .expect("DescribeRules")
                .rules
                .unwrap_or_default();
            for rule in rules {
                let arn = rule.rule_arn.clone().unwrap_or_default();
                let tags = self
                    .elbv2
                    .describe_tags()
                    .resource_arns(&arn)
                    .send()
                    .await
                    .expect("DescribeTags")
                    .tag_descriptions
                    .unwrap_or_default()
                    .into_iter()
                    .flat_map(|d| d.tags.unwrap_or_default())
                    .filter_map(|t| Some((t.key?, t.value.unwrap_or_default())))
                    .collect();
                snapshot.rules.insert(
                    arn,
                    SnapshotRule {
                        rule: format!("{rule:?}"),
                        tags,
                    },
                );
            }
            for record in records {
                snapshot.records.insert(
                    format!("{} {}", record.name, record.kind),
                    format!("{:?}", record.raw),
                );
            }
            snapshot
        })
    }

    // -- assertions --------------------------------------------------------------------------

    /// Every tenant in `tenants` is served: its host is an alias of exactly one pool
    /// distribution, which holds at most `cap` aliases; exactly one listener rule matches the
    /// host and forwards to the shared target group; A and AAAA alias records point the host
    /// at that distribution. And nothing else of the provider's exists: as many aliases and
    /// pairs of records as tenants, and rules matching the tenants' hosts and no other (one
    /// rule per tenant, or groups of at most five).
    pub fn assert_served(&self, tenants: &[&str], cap: usize) -> Served {
        let pool = self.pool();
        let rules: Vec<Rule> = self.rules().into_iter().filter(|r| !r.is_default).collect();
        let records = self.address_records();
        let pool_domains: BTreeSet<&str> = pool.iter().map(|d| d.domain_name.as_str()).collect();
        let mut problems = Vec::new();
        for d in &pool {
            if d.aliases.len() > cap {
                problems.push(format!(
                    "distribution {} holds {} aliases, more than the cap of {cap}",
                    d.id,
                    d.aliases.len()
                ));
            }
        }
        let others = self.distributions();
        let mut served = BTreeMap::new();
        for tenant in tenants {
            let host = self.host(tenant);
            let holders: Vec<&Distribution> = others
                .iter()
                .filter(|d| d.aliases.contains(&host))
                .collect();
            let holder = match holders.as_slice() {
                [one] if one.comment.starts_with(POOL_COMMENT_PREFIX) => one,
                _ => {
                    let ids: Vec<(&str, &str)> = holders
                        .iter()
                        .map(|d| (d.id.as_str(), d.comment.as_str()))
                        .collect();
                    problems.push(format!(
                        "{host}: expected on one pool distribution, found on {ids:?}"
                    ));
                    continue;
                }
            };
            let matching: Vec<&Rule> = rules.iter().filter(|r| r.hosts.contains(&host)).collect();
            let rule = match matching.as_slice() {
                [one]
                    if one.hosts.len() <= 5
                        && one.target_groups == [self.seed.target_group_arn.clone()] =>
                {
                    one
                }
                _ => {
                    problems.push(format!(
                        "{host}: expected one rule forwarding to the target group, found {matching:?}"
                    ));
                    continue;
                }
            };
            for kind in ["A", "AAAA"] {
                let found: Vec<&Record> = records
                    .iter()
                    .filter(|r| r.name == host && r.kind == kind)
                    .collect();
                if found.len() != 1
                    || found[0].alias_dns_name.as_deref() != Some(holder.domain_name.as_str())
                {
                    problems.push(format!(
                        "{host}: expected one {kind} alias record to {}, found {found:?}",
                        holder.domain_name
                    ));
                }
            }
            served.insert(host, (holder.id.clone(), rule.arn.clone()));
        }
        let aliases: usize = pool.iter().map(|d| d.aliases.len()).sum();
        if aliases != tenants.len() {
            problems.push(format!(
                "{aliases} aliases on the pool for {} tenants",
                tenants.len()
            ));
        }
        let hosts: BTreeSet<String> = tenants.iter().map(|t| self.host(t)).collect();
        let matched: usize = rules.iter().map(|r| r.hosts.len()).sum();
        let strangers: Vec<&String> = rules
            .iter()
            .flat_map(|r| &r.hosts)
            .filter(|h| !hosts.contains(*h))
            .collect();
        if matched != tenants.len() || !strangers.is_empty() {
            problems.push(format!(
                "{} listener rules match {matched} hosts for {} tenants (others: {strangers:?})",
                rules.len(),
                tenants.len()
            ));
        }
        let ours = records
            .iter()
            .filter(|r| {
                r.alias_dns_name
                    .as_deref()
                    .is_some_and(|d| pool_domains.contains(d))
            })
            .count();
        if ours != 2 * tenants.len() {
            problems.push(format!(
                "{ours} alias records to the pool for {} tenants",
                tenants.len()
            ));
        }
        assert!(
            problems.is_empty(),
            "[{}] tenants not served as expected:\n  {}",
            self.name,
            problems.join("\n  ")
        );
        Served {
            aliases_per_distribution: pool.iter().map(|d| d.aliases.len()).collect(),
            tenants: served,
        }
    }

    /// Nothing the provider created is left: no pool distribution, no `gateway-*` policy, no
    /// listener rule but the default, no address record but `foreign_records` (names the test
    /// made itself).
    pub fn assert_nothing_left(&self, foreign_records: &[&str]) {
        let mut left = Vec::new();
        for d in self.pool() {
            left.push(format!(
                "distribution {} ({:?}, aliases {:?})",
                d.id, d.comment, d.aliases
            ));
        }
        for p in self.custom_policies() {
            if p.split(' ')
                .next_back()
                .unwrap_or_default()
                .starts_with(POLICY_PREFIX)
            {
                left.push(p);
            }
        }
        for r in self.rules().into_iter().filter(|r| !r.is_default) {
            left.push(format!(
                "listener rule {} (priority {}, hosts {:?})",
                r.arn, r.priority, r.hosts
            ));
        }
        for r in self.address_records() {
            if !foreign_records.contains(&r.name.as_str()) {
                left.push(format!(
                    "{} record {} ({:?} {:?})",
                    r.kind, r.name, r.alias_dns_name, r.values
                ));
            }
        }
        assert!(
            left.is_empty(),
            "[{}] left behind in AWS:\n  {}",
            self.name,
            left.join("\n  ")
        );
    }

    // -- out-of-band changes -----------------------------------------------------------------

    /// Runs `call` with the scene's CloudFront client: a change made by hand.
    pub fn with_cloudfront<T, F>(&self, call: impl FnOnce(aws_sdk_cloudfront::Client) -> F) -> T
    where
        F: std::future::Future<Output = T>,
    {
        self.block_on(call(self.cloudfront.clone()))
    }

    /// Deletes every pool distribution by hand: disabled, then deleted once that deployed.
    pub fn delete_pool_by_hand(&self) {
        let ids: Vec<String> = self.pool().into_iter().map(|d| d.id).collect();
        let cloudfront = &self.cloudfront;
        self.block_on(async {
            for id in ids {
                let got = cloudfront
                    .get_distribution_config()
                    .id(&id)
                    .send()
                    .await
                    .expect("GetDistributionConfig");
                let mut config = got.distribution_config.unwrap();
                config.enabled = false;
                cloudfront
                    .update_distribution()
                    .id(&id)
                    .if_match(got.e_tag.unwrap())
                    .distribution_config(config)
                    .send()
                    .await
                    .expect("UpdateDistribution");
                loop {
                    let read = cloudfront
                        .get_distribution()
                        .id(&id)
                        .send()
                        .await
                        .expect("GetDistribution");
                    if read.distribution.as_ref().map(|d| d.status.as_str()) == Some("Deployed") {
                        cloudfront
                            .delete_distribution()
                            .id(&id)
                            .if_match(read.e_tag.unwrap())
                            .send()
                            .await
                            .expect("DeleteDistribution");
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        });
    }

    /// Removes `host` from the aliases of the distribution holding it, as someone in the
    /// console would.
    pub fn remove_alias(&self, host: &str) -> String {
        let holder = self
            .distributions()
            .into_iter()
            .find(|d| d.aliases.iter().any(|a| a == host))
            .unwrap_or_else(|| panic!("no distribution has alias {host}"));
        self.block_on(async {
            let got = self
                .cloudfront
                .get_distribution_config()
                .id(&holder.id)
                .send()
                .await
                .expect("GetDistributionConfig");
            let mut config = got.distribution_config.expect("config");
            let aliases: Vec<String> = config
                .aliases
                .as_ref()
                .and_then(|a| a.items.clone())
                .unwrap_or_default()
                .into_iter()
                .filter(|a| norm(a) != host)
                .collect();
            config.aliases = Some(
                cf::Aliases::builder()
                    .quantity(aliases.len() as i32)
                    .set_items((!aliases.is_empty()).then_some(aliases))
                    .build()
                    .unwrap(),
            );
            self.cloudfront
                .update_distribution()
                .id(&holder.id)
                .if_match(got.e_tag.expect("ETag"))
                .distribution_config(config)
                .send()
                .await
                .expect("UpdateDistribution");
        });
        holder.id
    }

    /// Deletes the listener rule matching `host`; returns its ARN.
    pub fn delete_rule_of(&self, host: &str) -> String {
        let rule = self
            .rules()
            .into_iter()
            .find(|r| r.hosts.iter().any(|h| h == host))
            .unwrap_or_else(|| panic!("no rule matches {host}"));
        self.block_on(async {
            self.elbv2
                .delete_rule()
                .rule_arn(&rule.arn)
                .send()
                .await
                .expect("DeleteRule")
        });
        rule.arn
    }

    /// Takes `host` out of the rule matching it, keeping the rule's other hosts: drift of a
    /// grouped rule.
    pub fn drop_host_from_rule(&self, host: &str) {
        let rule = self
            .rules()
            .into_iter()
            .find(|r| r.hosts.iter().any(|h| h == host))
            .unwrap_or_else(|| panic!("no rule matches {host}"));
        let rest: Vec<String> = rule.hosts.iter().filter(|h| *h != host).cloned().collect();
        let condition = aws_sdk_elasticloadbalancingv2::types::RuleCondition::builder()
            .field("host-header")
            .host_header_config(
                aws_sdk_elasticloadbalancingv2::types::HostHeaderConditionConfig::builder()
                    .set_values(Some(rest))
                    .build(),
            )
            .build();
        self.block_on(async {
            self.elbv2
                .modify_rule()
                .rule_arn(&rule.arn)
                .conditions(condition)
                .send()
                .await
                .expect("ModifyRule")
        });
    }

    /// Served hosts some CloudFront call left held by no enabled distribution or distribution
    /// tenant, as the emulator logged them (`host` and `operation` of each).
    pub fn unserved(&self) -> Vec<(String, String)> {
        let answer = self.emulator.control("GET", "unserved", None);
        answer["unserved"]
            .as_array()
            .expect("unserved")
            .iter()
            .map(|e| {
                let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
                (text("host"), text("operation"))
            })
            .collect()
    }

    /// Forgets the emulator's log of served hosts left without a rule.
    pub fn clear_uncovered(&self) {
        self.emulator.control("DELETE", "uncovered", None);
    }

    /// Forgets the emulator's log of served hosts left held by nothing.
    pub fn clear_unserved(&self) {
        self.emulator.control("DELETE", "unserved", None);
    }

    /// Deletes the record set `name`/`kind`, repeating it exactly as Route53 requires.
    pub fn delete_record(&self, name: &str, kind: &str) {
        let record = self
            .records()
            .into_iter()
            .find(|r| r.name == name && r.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} record {name}"));
        self.change_records(r53::ChangeAction::Delete, record.raw);
    }

    /// Creates a plain A record `name` -> `ip` (TTL 300), as another team would.
    pub fn create_a_record(&self, name: &str, ip: &str) {
        let record = r53::ResourceRecordSet::builder()
            .name(format!("{name}."))
            .r#type(r53::RrType::A)
            .ttl(300)
            .resource_records(r53::ResourceRecord::builder().value(ip).build().unwrap())
            .build()
            .unwrap();
        self.change_records(r53::ChangeAction::Create, record);
    }

    fn change_records(&self, action: r53::ChangeAction, record: r53::ResourceRecordSet) {
        self.block_on(async {
            self.route53
                .change_resource_record_sets()
                .hosted_zone_id(&self.seed.hosted_zone_id)
                .change_batch(
                    r53::ChangeBatch::builder()
                        .changes(
                            r53::Change::builder()
                                .action(action)
                                .resource_record_set(record)
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .expect("ChangeResourceRecordSets")
        });
    }

    /// A distribution that is not the edge's, serving `alias`; returns its id and ETag.
    pub fn create_foreign_distribution(&self, alias: &str) -> (String, String) {
        let mut config = crate::common::emulator::distribution_config("someone-else", &[alias]);
        config.comment = "another team's site".to_string();
        config.viewer_certificate = Some(
            cf::ViewerCertificate::builder()
                .acm_certificate_arn(&self.seed.certificate_arn)
                .ssl_support_method(cf::SslSupportMethod::SniOnly)
                .minimum_protocol_version(cf::MinimumProtocolVersion::TlSv122021)
                .build(),
        );
        self.block_on(async {
            let out = self
                .cloudfront
                .create_distribution()
                .distribution_config(config)
                .send()
                .await
                .expect("CreateDistribution");
            (
                out.distribution.expect("distribution").id,
                out.e_tag.expect("ETag"),
            )
        })
    }

    /// The current ETag and aliases of a distribution.
    pub fn distribution_state(&self, id: &str) -> (String, Vec<String>) {
        self.block_on(async {
            let out = self
                .cloudfront
                .get_distribution_config()
                .id(id)
                .send()
                .await
                .expect("GetDistributionConfig");
            let aliases = out
                .distribution_config
                .and_then(|c| c.aliases)
                .and_then(|a| a.items)
                .unwrap_or_default();
            (out.e_tag.expect("ETag"), aliases)
        })
    }
}

// -- running Terraform ---------------------------------------------------------------------

/// stdout and stderr with Terraform's diagnostic frame and line wrapping taken out, for
/// substring checks.
pub fn flat(out: &Output) -> String {
    format!("{}\n{}", out.stdout, out.stderr)
        .replace(['│', '╷', '╵'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn show(out: &Output) -> String {
    format!(
        "exit {}\n--- stdout\n{}\n--- stderr\n{}",
        out.code, out.stdout, out.stderr
    )
}

/// Runs `args`, timed, and panics unless Terraform exits with `code`.
pub fn expect_exit(ws: &Workspace, args: &[&str], code: i32, what: &str) -> Output {
    let started = Instant::now();
    let out = ws.run(args);
    eprintln!(
        "[terraform {}] {what}: exit {} in {:.1?}",
        ws.version,
        out.code,
        started.elapsed()
    );
    assert_eq!(
        out.code,
        code,
        "terraform {} {what}: expected exit {code}\n{}",
        ws.version,
        show(&out)
    );
    out
}

/// `terraform apply` as the scenes run it: unattended, Terraform's default parallelism.
const APPLY: &[&str] = &[
    "apply",
    "-auto-approve",
    "-input=false",
    "-no-color",
    "-parallelism=10",
];

pub fn apply(ws: &Workspace, what: &str) -> Output {
    expect_exit(ws, APPLY, 0, what)
}

/// An apply that must fail; returns its output.
pub fn apply_fails(ws: &Workspace, what: &str) -> Output {
    expect_exit(ws, APPLY, 1, what)
}

/// `plan -detailed-exitcode` must find nothing to do.
pub fn plan_is_empty(ws: &Workspace, what: &str) -> Output {
    expect_exit(
        ws,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
        0,
        what,
    )
}

/// `plan -detailed-exitcode` must find changes.
pub fn plan_has_changes(ws: &Workspace, what: &str) -> Output {
    expect_exit(
        ws,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
        2,
        what,
    )
}

pub fn destroy(ws: &Workspace, what: &str) -> Output {
    expect_exit(
        ws,
        &[
            "destroy",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-parallelism=10",
        ],
        0,
        what,
    )
}

/// The state's resources (`terraform show -json`), by address: (values, tainted).
pub fn state(ws: &Workspace) -> BTreeMap<String, (Json, bool)> {
    let out = expect_exit(ws, &["show", "-json", "-no-color"], 0, "show -json");
    let doc: Json = serde_json::from_str(&out.stdout).expect("show -json");
    let mut resources = BTreeMap::new();
    for r in doc["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let tainted = r["tainted"].as_bool().unwrap_or(false);
        resources.insert(
            r["address"].as_str().unwrap_or_default().to_string(),
            (r["values"].clone(), tainted),
        );
    }
    resources
}
