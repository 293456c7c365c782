//! The honest AWS emulator (`testbed/serve.py`: moto plus the rules AWS enforces) for
//! integration tests: how it is started ([`spawn`]) and plain SDK clients to set and inspect
//! the scene ([`Sdk`]), for the tests of the AWS and account layers and for the end-to-end
//! scenes alike.
//!
//! The layers' tests share one emulator process per test binary: it starts on first use
//! (installing the tools with `scripts/setup-tools.sh` when they are missing) and exits with
//! the binary. Tests take turns through [`session`], which resets the emulator's state,
//! configuration and call counters, so each test sees a fresh AWS and exact call counts.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_cloudfront::types as cf;
use aws_sdk_elasticloadbalancingv2::types as elb;
use gateway::aws::clients::{ClientConfig, Endpoints};
use gateway::aws::retry::SdkBackoff;
use gateway::aws::{AwsClients, ClientOptions, WaitSettings};
use serde_json::Value as Json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Mutex, MutexGuard};
use tokio_util::sync::CancellationToken;

use super::terraform::{ensure_tools, repo_root};

/// How long the emulator may take to answer for the first time.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The account moto answers for.
pub const ACCOUNT_ID: &str = "123456789012";
/// Region of the load balancer in the tests (CloudFront and Route53 are signed for us-east-1).
pub const REGION: &str = "eu-west-1";
/// A certificate ARN of the shape CloudFront accepts; the emulator requires one for aliases.
pub const CERTIFICATE_ARN: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555";
/// Managed-CachingOptimized, which the emulator knows like AWS does.
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// The profile the shared files written by [`shared_files`] define.
pub const PROFILE: &str = "gateway-test";
/// A profile in the same files without a region.
pub const PROFILE_WITHOUT_REGION: &str = "gateway-no-region";
/// The secret access key in those files, to prove it is printed nowhere.
pub const SECRET_ACCESS_KEY: &str = "gateway-test-secret-never-printed";
const ACCESS_KEY_ID: &str = "AKIAGATEWAYTEST00000";

struct Emulator {
    url: String,
}

static EMULATOR: OnceLock<Emulator> = OnceLock::new();
static TURN: Mutex<()> = Mutex::const_new(());

/// The Python of the project's tools, installed when missing (or `GATEWAY_PYTHON`).
pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("GATEWAY_PYTHON") {
        return PathBuf::from(python);
    }
    ensure_tools();
    repo_root().join(".tools/bin/python")
}

/// Starts `testbed/serve.py` on a free loopback port, its log in `log`; answers the process
/// and the URL it serves. The emulator exits with the thread that started it
/// (PR_SET_PDEATHSIG).
pub fn spawn(log: &Path) -> (Child, String) {
    let mut child = Command::new(python())
        .arg(repo_root().join("testbed/serve.py"))
        .args(["--host", "127.0.0.1", "--port", "0", "--exit-with-parent"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).expect("emulator log"))
        .spawn()
        .expect("starting testbed/serve.py");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(START_TIMEOUT).unwrap_or_default();
    if !line.starts_with("http://") {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "the emulator did not start: {line:?}; log {}:\n{}",
            log.display(),
            std::fs::read_to_string(log).unwrap_or_default()
        );
    }
    (child, line.trim().to_string())
}

fn start() -> Emulator {
    let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join("emulator.log");
    let (tx, rx) = std::sync::mpsc::channel();
    // Started from a thread that lives as long as the test binary, not from a test's thread,
    // which would take the emulator with it when it ends.
    std::thread::Builder::new()
        .name("emulator".into())
        .spawn(move || {
            let (mut child, url) = spawn(&log);
            let _ = tx.send(url);
            let _ = child.wait();
        })
        .expect("emulator thread");
    let url = rx
        .recv_timeout(START_TIMEOUT)
        .expect("the emulator did not start in time");
    Emulator { url }
}

/// Plain SDK clients of the emulator, for setting and inspecting the scene.
pub struct Sdk {
    pub cloudfront: aws_sdk_cloudfront::Client,
    pub route53: aws_sdk_route53::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
}

impl Sdk {
    /// Clients of the emulator at `url`; ELBv2 in `region`, the global services in us-east-1.
    pub fn new(url: &str, region: &str) -> Self {
        let credentials = Credentials::new(
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            None,
            None,
            "emulator-tests",
        );
        let global = aws_sdk_cloudfront::config::Region::new("us-east-1");
        let behavior = aws_sdk_cloudfront::config::BehaviorVersion::latest();
        let shared = aws_config::SdkConfig::builder()
            .behavior_version(behavior)
            .region(global)
            .endpoint_url(url)
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
            )
            .build();
        let elbv2 = aws_sdk_elasticloadbalancingv2::config::Builder::from(&shared)
            .region(aws_sdk_elasticloadbalancingv2::config::Region::new(
                region.to_string(),
            ))
            .build();
        Self {
            cloudfront: aws_sdk_cloudfront::Client::new(&shared),
            route53: aws_sdk_route53::Client::new(&shared),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::from_conf(elbv2),
        }
    }
}

/// A test's exclusive use of the emulator, freshly reset.
pub struct Session {
    /// Base URL of the emulator, the endpoint of every service.
    pub url: String,
    _turn: MutexGuard<'static, ()>,
}

/// Waits for this test's turn, then resets the emulator.
pub async fn session() -> Session {
    let url = EMULATOR.get_or_init(start).url.clone();
    let turn = TURN.lock().await;
    let session = Session { url, _turn: turn };
    session.control("POST", "reset", Some("{}")).await;
    session
}

/// Writes the shared config and credentials files the tests' provider blocks point at.
pub fn shared_files() -> (PathBuf, PathBuf) {
    static FILES: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    FILES
        .get_or_init(|| {
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("aws-layer");
            std::fs::create_dir_all(&dir).unwrap();
            let config = dir.join("config");
            let credentials = dir.join("credentials");
            std::fs::write(
                &config,
                format!("[profile {PROFILE}]\nregion = {REGION}\n\n[profile {PROFILE_WITHOUT_REGION}]\noutput = json\n"),
            )
            .unwrap();
            std::fs::write(
                &credentials,
                format!(
                    "[{PROFILE}]\naws_access_key_id = {ACCESS_KEY_ID}\naws_secret_access_key = {SECRET_ACCESS_KEY}\n\n[{PROFILE_WITHOUT_REGION}]\naws_access_key_id = {ACCESS_KEY_ID}\naws_secret_access_key = {SECRET_ACCESS_KEY}\n"
                ),
            )
            .unwrap();
            (config, credentials)
        })
        .clone()
}

/// Pauses short enough for an emulator.
/// How much faster than AWS's request rates the tests call the emulator (which answers in
/// milliseconds and limits nothing unless its time model says so): paced, but not slowed.
pub const TEST_RATE_SCALE: u32 = 50;

pub fn fast_options() -> ClientOptions {
    ClientOptions {
        rate_scale: TEST_RATE_SCALE,
        sdk_backoff: SdkBackoff {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(50),
        },
        waits: WaitSettings {
            distribution_poll: Duration::from_millis(20),
            change_poll: Duration::from_millis(20),
            conflict_backoff: Duration::from_millis(5),
            conflict_backoff_max: Duration::from_millis(50),
        },
    }
}

/// An AWS error code and HTTP status answered by the emulator's fault injector.
pub struct Fault<'a> {
    pub operation: &'a str,
    pub code: &'a str,
    pub status: u16,
    pub count: u32,
}

impl Session {
    /// A provider block for the emulator: every endpoint set, the region and credentials from
    /// the shared files' profile, no credentials validation.
    pub fn provider_config(&self) -> ClientConfig {
        let (config, credentials) = shared_files();
        ClientConfig {
            region: None,
            profile: Some(PROFILE.into()),
            shared_config_files: vec![config.display().to_string()],
            shared_credentials_files: vec![credentials.display().to_string()],
            assume_role: None,
            endpoints: Endpoints {
                cloudfront: Some(self.url.clone()),
                route53: Some(self.url.clone()),
                elbv2: Some(self.url.clone()),
                sts: Some(self.url.clone()),
            },
            max_retries: Some(3),
            skip_credentials_validation: true,
        }
    }

    /// The layer under test, connected to the emulator.
    pub async fn clients(&self) -> AwsClients {
        AwsClients::connect_with(
            &self.provider_config(),
            &fast_options(),
            &CancellationToken::new(),
        )
        .await
        .expect("connecting to the emulator")
    }

    async fn http(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        let host = self.url.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(host)
            .await
            .expect("connecting to the emulator");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let response = String::from_utf8(response).expect("utf-8 answer");
        let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP answer");
        assert!(
            !head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "chunked answers are not expected from the emulator"
        );
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        (status, body.to_string())
    }

    async fn control(&self, method: &str, endpoint: &str, body: Option<&str>) -> Json {
        let headers: &[(&str, &str)] = if body.is_some() {
            &[("Content-Type", "application/json")]
        } else {
            &[]
        };
        let (status, text) = self
            .http(
                method,
                &format!("/honest-api/{endpoint}"),
                headers,
                body.unwrap_or(""),
            )
            .await;
        assert_eq!(status, 200, "{method} /honest-api/{endpoint}: {text}");
        serde_json::from_str(&text).expect("JSON from the control API")
    }

    /// Merges settings into the emulator's configuration (quotas, delays).
    pub async fn configure(&self, settings: Json) {
        self.control("POST", "config", Some(&settings.to_string()))
            .await;
    }

    /// Arms a fault: the next `count` calls of `operation` answer `code` with `status`.
    pub async fn fault(&self, fault: Fault<'_>) {
        let rule = serde_json::json!({
            "match": fault.operation,
            "error": "custom",
            "code": fault.code,
            "status": fault.status,
            "count": fault.count,
            "message": format!("injected {}", fault.code),
        });
        self.control("POST", "faults", Some(&rule.to_string()))
            .await;
    }

    /// Arms throttling (`Throttling`, 400) for the next `count` calls of `operation`.
    pub async fn throttle(&self, operation: &str, count: u32) {
        let rule = serde_json::json!({"match": operation, "error": "throttle", "count": count});
        self.control("POST", "faults", Some(&rule.to_string()))
            .await;
    }

    /// Makes the next `count` calls of `operation` take effect but answer a 5xx, as when the
    /// response is lost and the client retries a request AWS already carried out.
    pub async fn lose_responses(&self, operation: &str, count: u32) {
        let rule = serde_json::json!({
            "match": operation,
            "error": "internal",
            "count": count,
            "lost_response": true,
        });
        self.control("POST", "faults", Some(&rule.to_string()))
            .await;
    }

    /// Served hosts (with an A or AAAA record) some rule write left matched by no rule, as
    /// the emulator logged them since its last reset.
    pub async fn uncovered(&self) -> Vec<String> {
        let answer = self.control("GET", "uncovered", None).await;
        answer["uncovered"]
            .as_array()
            .expect("uncovered")
            .iter()
            .map(|e| format!("{} by {}", e["host"], e["operation"]))
            .collect()
    }

    /// The fault rules still armed.
    pub async fn armed_faults(&self) -> Json {
        self.control("GET", "faults", None).await
    }

    /// AWS calls per `service:Operation` since the last reset.
    pub async fn calls(&self) -> BTreeMap<String, u64> {
        let answer = self.control("GET", "calls", None).await;
        answer["calls"]
            .as_object()
            .expect("calls")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or_default()))
            .collect()
    }

    /// The HTTP statuses the emulator answered to `operation`, in order.
    pub async fn statuses(&self, operation: &str) -> Vec<u64> {
        let answer = self.control("GET", "calls?log=1", None).await;
        answer["log"]
            .as_array()
            .expect("log")
            .iter()
            .filter(|entry| entry["op"] == operation)
            .map(|entry| entry["status"].as_u64().unwrap_or_default())
            .collect()
    }

    /// Calls of one `service:Operation` since the last reset.
    pub async fn count(&self, operation: &str) -> u64 {
        self.calls()
            .await
            .get(operation)
            .copied()
            .unwrap_or_default()
    }

    /// Zeroes the call counters, keeping the state.
    pub async fn reset_calls(&self) {
        self.control("POST", "calls/reset", Some("{}")).await;
    }

    /// A plain SDK client for setting the scene.
    pub fn cloudfront_sdk(&self) -> aws_sdk_cloudfront::Client {
        Sdk::new(&self.url, REGION).cloudfront
    }

    /// A plain SDK client for setting the scene.
    pub fn route53_sdk(&self) -> aws_sdk_route53::Client {
        Sdk::new(&self.url, REGION).route53
    }

    /// A plain SDK client for setting the scene.
    pub fn elbv2_sdk(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        Sdk::new(&self.url, REGION).elbv2
    }

    /// The default VPC's default subnets, from EC2 DescribeSubnets. The crate has no EC2 SDK;
    /// moto routes a request by the service in its credential scope and does not verify
    /// signatures, so a form POST with an EC2 scope suffices.
    async fn default_subnets(&self) -> (String, Vec<String>) {
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20250101/{REGION}/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=0"
        );
        let (status, xml) = self
            .http(
                "POST",
                "/",
                &[
                    ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                    ("X-Amz-Date", "20250101T000000Z"),
                    ("Authorization", &authorization),
                ],
                "Action=DescribeSubnets&Version=2016-11-15&Filter.1.Name=default-for-az&Filter.1.Value.1=true",
            )
            .await;
        assert_eq!(status, 200, "{xml}");
        let values = |tag: &str| -> Vec<String> {
            let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
            xml.split(&open)
                .skip(1)
                .filter_map(|rest| rest.split_once(&close).map(|(v, _)| v.to_string()))
                .collect()
        };
        let vpc = values("vpcId").into_iter().next().expect("a default VPC");
        let subnets: Vec<String> = values("subnetId").into_iter().take(2).collect();
        assert_eq!(subnets.len(), 2, "two default subnets: {xml}");
        (vpc, subnets)
    }

    /// An application load balancer with an HTTP listener (default action: 404) and a target
    /// group, as the shared edge expects them.
    pub async fn make_alb(&self, name: &str) -> Alb {
        let (vpc, subnets) = self.default_subnets().await;
        let sdk = self.elbv2_sdk();
        let lb = sdk
            .create_load_balancer()
            .name(name)
            .set_subnets(Some(subnets))
            .r#type(elb::LoadBalancerTypeEnum::Application)
            .send()
            .await
            .expect("CreateLoadBalancer")
            .load_balancers
            .unwrap()
            .remove(0);
        let target_group = sdk
            .create_target_group()
            .name(format!("{name}-tg"))
            .protocol(elb::ProtocolEnum::Http)
            .port(80)
            .vpc_id(vpc)
            .target_type(elb::TargetTypeEnum::Ip)
            .send()
            .await
            .expect("CreateTargetGroup")
            .target_groups
            .unwrap()
            .remove(0);
        let listener = sdk
            .create_listener()
            .load_balancer_arn(lb.load_balancer_arn.clone().unwrap())
            .protocol(elb::ProtocolEnum::Http)
            .port(80)
            .default_actions(
                elb::Action::builder()
                    .r#type(elb::ActionTypeEnum::FixedResponse)
                    .fixed_response_config(
                        elb::FixedResponseActionConfig::builder()
                            .status_code("404")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("CreateListener")
            .listeners
            .unwrap()
            .remove(0);
        Alb {
            load_balancer_arn: lb.load_balancer_arn.unwrap(),
            listener_arn: listener.listener_arn.unwrap(),
            target_group_arn: target_group.target_group_arn.unwrap(),
        }
    }

    /// A public hosted zone; returns its bare id.
    pub async fn make_zone(&self, name: &str) -> String {
        let zone = self
            .route53_sdk()
            .create_hosted_zone()
            .name(name)
            .caller_reference(format!("{name}-{}", std::process::id()))
            .send()
            .await
            .expect("CreateHostedZone")
            .hosted_zone
            .unwrap();
        zone.id.trim_start_matches("/hostedzone/").to_string()
    }
}

/// The pieces of a load balancer the tests use.
#[derive(Debug, Clone)]
pub struct Alb {
    pub load_balancer_arn: String,
    pub listener_arn: String,
    pub target_group_arn: String,
}

/// A cache policy with TTLs from `min_ttl`, every query string in the key, no cookies, and the
/// viewer's `headers` (such as `Host`) in the key.
pub fn cache_policy_config(name: &str, min_ttl: i64, headers: &[&str]) -> cf::CachePolicyConfig {
    let in_key = if headers.is_empty() {
        cf::CachePolicyHeadersConfig::builder()
            .header_behavior(cf::CachePolicyHeaderBehavior::None)
            .build()
            .unwrap()
    } else {
        let items: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        cf::CachePolicyHeadersConfig::builder()
            .header_behavior(cf::CachePolicyHeaderBehavior::Whitelist)
            .headers(
                cf::Headers::builder()
                    .quantity(items.len() as i32)
                    .set_items(Some(items))
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    };
    cf::CachePolicyConfig::builder()
        .name(name)
        .comment("tenants")
        .min_ttl(min_ttl)
        .default_ttl(86_400.max(min_ttl))
        .max_ttl(31_536_000)
        .parameters_in_cache_key_and_forwarded_to_origin(
            cf::ParametersInCacheKeyAndForwardedToOrigin::builder()
                .enable_accept_encoding_gzip(true)
                .enable_accept_encoding_brotli(true)
                .headers_config(in_key)
                .cookies_config(
                    cf::CachePolicyCookiesConfig::builder()
                        .cookie_behavior(cf::CachePolicyCookieBehavior::None)
                        .build()
                        .unwrap(),
                )
                .query_strings_config(
                    cf::CachePolicyQueryStringsConfig::builder()
                        .query_string_behavior(cf::CachePolicyQueryStringBehavior::All)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

/// A distribution configuration like the shared edge's: one ALB origin, a cache policy, an
/// ACM certificate, and `aliases`.
pub fn distribution_config(reference: &str, aliases: &[&str]) -> cf::DistributionConfig {
    let origin = cf::Origin::builder()
        .id("alb")
        .domain_name("edge-alb-123.eu-west-1.elb.amazonaws.com")
        .custom_origin_config(
            cf::CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(cf::OriginProtocolPolicy::HttpsOnly)
                .origin_ssl_protocols(
                    cf::OriginSslProtocols::builder()
                        .quantity(1)
                        .items(cf::SslProtocol::TlSv12)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let behavior = cf::DefaultCacheBehavior::builder()
        .target_origin_id("alb")
        .viewer_protocol_policy(cf::ViewerProtocolPolicy::RedirectToHttps)
        .cache_policy_id(CACHING_OPTIMIZED)
        .build()
        .unwrap();
    let aliases: Vec<String> = aliases.iter().map(|a| a.to_string()).collect();
    cf::DistributionConfig::builder()
        .caller_reference(reference)
        .comment(format!("gateway pool {reference}"))
        .enabled(true)
        .origins(
            cf::Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .unwrap(),
        )
        .default_cache_behavior(behavior)
        .aliases(
            cf::Aliases::builder()
                .quantity(aliases.len() as i32)
                .set_items((!aliases.is_empty()).then_some(aliases))
                .build()
                .unwrap(),
        )
        .viewer_certificate(
            cf::ViewerCertificate::builder()
                .acm_certificate_arn(CERTIFICATE_ARN)
                .ssl_support_method(cf::SslSupportMethod::SniOnly)
                .minimum_protocol_version(cf::MinimumProtocolVersion::TlSv122021)
                .build(),
        )
        .is_ipv6_enabled(true)
        .build()
        .unwrap()
}
