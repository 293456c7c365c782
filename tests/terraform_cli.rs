//! The provider driven by a real Terraform (1.15.5 and 1.0.3): validation of good and bad
//! configurations, the schema Terraform reads, the provider function, and plans.

mod common;

use common::terraform::{emulated_provider_block, provider_block, Workspace, VERSIONS};

const CERT: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666";
const LISTENER: &str = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2";
const TARGET_GROUP: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/app/73e2d6bc24d8a067";

/// What the edge of a plan against the emulator at `url` points at: the seed scenario's zone,
/// listener, target group and certificate (made by `testbed/seed.py`, once per emulator), since
/// a plan checks that they exist.
fn seeded(url: &str) -> Vec<(&'static str, String)> {
    let dir = tempfile::tempdir().unwrap();
    let tfvars = dir.path().join("seed.tfvars.json");
    let seeding = std::process::Command::new(common::emulator::python())
        .arg(common::terraform::repo_root().join("testbed/seed.py"))
        .args(["--endpoint", url, "--out"])
        .arg(&tfvars)
        .output();
    common::succeeded(seeding, "testbed/seed.py");
    let vars: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&tfvars).unwrap()).unwrap();
    [
        ("hosted_zone_id", "hosted_zone_id"),
        ("alb_listener_arn", "alb_listener_arn"),
        ("target_group_arn", "target_group_arn"),
        ("certificate_arn", "certificate_arn"),
    ]
    .into_iter()
    .map(|(attribute, var)| (attribute, format!("{}", vars[var])))
    .collect()
}

/// [`edge`] on the seeded objects of the emulator at `url`.
fn seeded_edge(url: &str) -> String {
    let overrides = seeded(url);
    let pairs: Vec<(&str, &str)> = overrides.iter().map(|(k, v)| (*k, v.as_str())).collect();
    edge(&pairs)
}

/// An edge block with `overrides` replacing or adding lines (`key = value`).
fn edge(overrides: &[(&str, &str)]) -> String {
    let mut attrs: Vec<(String, String)> = vec![
        ("name".into(), "\"gateway-prod\"".into()),
        ("domain".into(), "\"gateway.example.com\"".into()),
        ("hosted_zone_id".into(), "\"Z0123456789ABCDEFGHIJ\"".into()),
        ("certificate_arn".into(), format!("\"{CERT}\"")),
        ("alb_listener_arn".into(), format!("\"{LISTENER}\"")),
        ("target_group_arn".into(), format!("\"{TARGET_GROUP}\"")),
    ];
    let mut blocks = Vec::new();
    for (k, v) in overrides {
        if *k == "timeouts" {
            blocks.push(format!("  {k} {v}"));
            continue;
        }
        match attrs.iter_mut().find(|(name, _)| name == k) {
            Some(slot) => slot.1 = v.to_string(),
            None => attrs.push((k.to_string(), v.to_string())),
        }
    }
    let body: Vec<String> = attrs
        .iter()
        .filter(|(_, v)| v != "<omit>")
        .map(|(k, v)| format!("  {k} = {v}"))
        .chain(blocks)
        .collect();
    format!(
        "resource \"gateway_shared_edge\" \"main\" {{\n{}\n}}\n",
        body.join("\n")
    )
}

fn tenant(body: &str) -> String {
    format!("resource \"gateway_tenant\" \"t\" {{\n{body}\n}}\n")
}

fn valid_config() -> String {
    format!(
        "{}{}{}",
        provider_block(),
        edge(&[]),
        r#"
resource "gateway_tenant" "partner" {
  for_each = toset(["acme", "zeta", "kite"])
  edge_id  = gateway_shared_edge.main.id
  name     = each.key
  tags     = { team = "partners" }
}
"#
    )
}

#[test]
fn a_valid_configuration_validates() {
    for version in VERSIONS {
        let ws = Workspace::new(version, &valid_config());
        let out = ws.run(&["validate", "-json"]);
        assert!(out.success(), "{version}: {}\n{}", out.stdout, out.stderr);
        let errors: Vec<_> = out
            .diagnostics()
            .into_iter()
            .filter(|d| d["severity"] == "error")
            .collect();
        assert!(errors.is_empty(), "{version}: {errors:?}");
    }
}

/// One invalid configuration: what it contains, the attribute the diagnostic must point at
/// (checked against the source line Terraform quotes), and words of the expected summary.
struct Case {
    name: &'static str,
    config: String,
    attribute: &'static str,
    summary: &'static str,
    /// Needs Terraform 1.8 or later (provider functions).
    needs_functions: bool,
}

fn case(
    name: &'static str,
    config: String,
    attribute: &'static str,
    summary: &'static str,
) -> Case {
    Case {
        name,
        config,
        attribute,
        summary,
        needs_functions: false,
    }
}

fn invalid_cases() -> Vec<Case> {
    let t = |body: &str| format!("{}{}", provider_block(), tenant(body));
    let e = |overrides: &[(&str, &str)]| format!("{}{}", provider_block(), edge(overrides));
    let long = "a".repeat(64);
    let p = |body: &str| {
        format!(
            "terraform {{\n  required_providers {{\n    gateway = {{ source = \"example/gateway\" }}\n  }}\n}}\nprovider \"gateway\" {{\n{body}\n}}\n{}",
            tenant("  edge_id = \"gateway-prod\"\n  name = \"acme\"")
        )
    };
    let mut cases = vec![
        case("uppercase tenant", t("  edge_id = \"gateway-prod\"\n  name = \"Acme\""), "name", "Invalid tenant name"),
        case("underscore tenant", t("  edge_id = \"gateway-prod\"\n  name = \"ac_me\""), "name", "Invalid tenant name"),
        case("long tenant", t(&format!("  edge_id = \"gateway-prod\"\n  name = \"{long}\"")), "name", "Invalid tenant name"),
        case("hyphen tenant", t("  edge_id = \"gateway-prod\"\n  name = \"-acme\""), "name", "Invalid tenant name"),
        case("dotted tenant", t("  edge_id = \"gateway-prod\"\n  name = \"a.b\""), "name", "Invalid tenant name"),
        case("missing edge_id", t("  name = \"acme\""), "", "Missing required argument"),
        case("priority zero", t("  edge_id = \"gateway-prod\"\n  name = \"acme\"\n  priority = 0"), "priority", "Value out of range"),
        case("reserved tag", t("  edge_id = \"gateway-prod\"\n  name = \"acme\"\n  tags = { \"aws:owner\" = \"x\" }"), "tags", "Reserved key"),
        case("computed host set", t("  edge_id = \"gateway-prod\"\n  name = \"acme\"\n  host = \"x.example.com\""), "host", "Invalid Configuration for Read-Only Attribute"),
        case("unknown argument", t("  edge_id = \"gateway-prod\"\n  name = \"acme\"\n  colour = \"red\""), "colour", "Unsupported argument"),
        case("certificate region", e(&[("certificate_arn", "\"arn:aws:acm:eu-west-1:123456789012:certificate/x\"")]), "certificate_arn", "Invalid certificate ARN"),
        case("network load balancer", e(&[("alb_listener_arn", "\"arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/net/web/1/2\"")]), "alb_listener_arn", "Invalid listener ARN"),
        case("bucket as target group", e(&[("target_group_arn", "\"arn:aws:s3:::bucket\"")]), "target_group_arn", "Invalid target group ARN"),
        case("uppercase domain", e(&[("domain", "\"Gateway.Example.com\"")]), "domain", "Invalid domain"),
        case("single label domain", e(&[("domain", "\"localhost\"")]), "domain", "Invalid domain"),
        case("zone id", e(&[("hosted_zone_id", "\"my-zone\"")]), "hosted_zone_id", "Invalid hosted zone id"),
        case("bad edge name", e(&[("name", "\"gateway prod\"")]), "name", "Invalid edge name"),
        case("default below min ttl", e(&[("min_ttl", "600"), ("default_ttl", "60")]), "default_ttl", "TTLs out of order"),
        case("max below default ttl", e(&[("default_ttl", "600"), ("max_ttl", "60")]), "max_ttl", "TTLs out of order"),
        case("no aliases", e(&[("max_aliases_per_distribution", "0")]), "max_aliases_per_distribution", "Value out of range"),
        case("too many distributions", e(&[("max_distributions", "501")]), "max_distributions", "Value out of range"),
        case("price class", e(&[("price_class", "\"PriceClass_Cheap\"")]), "price_class", "Invalid value"),
        case("web acl", e(&[("web_acl_id", "\"main\"")]), "web_acl_id", "Invalid web ACL"),
        case("timeout", e(&[("timeouts", "{\n    create = \"ten minutes\"\n  }")]), "create", "Invalid duration"),
        case("missing certificate", e(&[("certificate_arn", "<omit>")]), "", "Missing required argument"),
        case("provider region", p("  region = \"Europe\""), "region", "Invalid region"),
        case("provider endpoint", p("  endpoints {\n    cloudfront = \"localhost:5000\"\n  }"), "cloudfront", "Invalid endpoint URL"),
        case("provider role", p("  assume_role {\n    role_arn = \"arn:aws:iam::123456789012:user/bob\"\n  }"), "role_arn", "Invalid role ARN"),
        case("provider retries", p("  max_retries = 100"), "max_retries", "Value out of range"),
    ];
    cases.push(Case {
        needs_functions: true,
        ..case(
            "function tenant name",
            format!(
                "{}output \"host\" {{\n  value = provider::gateway::tenant_host(\"Acme\", \"gateway.example.com\")\n}}\n",
                provider_block()
            ),
            "tenant_host",
            "Invalid function argument",
        )
    });
    cases.push(Case {
        needs_functions: true,
        ..case(
            "function domain",
            format!(
                "{}output \"host\" {{\n  value = provider::gateway::tenant_host(\"acme\", \"nodots\")\n}}\n",
                provider_block()
            ),
            "tenant_host",
            "Invalid function argument",
        )
    });
    cases
}

fn check_invalid_cases(version: &'static str) {
    let cases: Vec<Case> = invalid_cases()
        .into_iter()
        .filter(|c| !(c.needs_functions && version == "1.0.3"))
        .collect();
    assert!(cases.len() >= 15);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(cases.len().div_ceil(4))
            .map(|chunk| {
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    for c in chunk {
                        let ws = Workspace::new(version, &c.config);
                        let out = ws.run(&["validate", "-json"]);
                        let diags = out.diagnostics();
                        let hit = diags.iter().any(|d| {
                            d["severity"] == "error"
                                && d["summary"].as_str().unwrap_or("").contains(c.summary)
                                && d["snippet"]["code"]
                                    .as_str()
                                    .unwrap_or("")
                                    .contains(c.attribute)
                        });
                        if out.success() || !hit {
                            failures.push(format!(
                                "{version} {}: exit {} diagnostics {}",
                                c.name,
                                out.code,
                                serde_json::to_string_pretty(&diags).unwrap()
                            ));
                        }
                    }
                    failures
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn invalid_configurations_fail_at_their_attribute_on_1_15() {
    check_invalid_cases("1.15.5");
}

#[test]
fn invalid_configurations_fail_at_their_attribute_on_1_0() {
    check_invalid_cases("1.0.3");
}

#[test]
fn terraform_reads_the_schema() {
    for version in VERSIONS {
        let ws = Workspace::new(version, &valid_config());
        if version != "1.0.3" {
            // Newer releases need the lock-free init that dev_overrides allows.
            let init = ws.run(&["init", "-backend=false"]);
            assert!(init.success(), "{version}: {}", init.stderr);
        }
        let out = ws.run(&["providers", "schema", "-json"]);
        assert!(out.success(), "{version}: {}", out.stderr);
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let provider = &doc["provider_schemas"]["registry.terraform.io/example/gateway"];
        for (resource, attrs) in [
            (
                "gateway_shared_edge",
                &[
                    "name",
                    "domain",
                    "hosted_zone_id",
                    "certificate_arn",
                    "alb_listener_arn",
                    "target_group_arn",
                    "min_ttl",
                    "distribution_ids",
                    "cache_policy_id",
                ][..],
            ),
            (
                "gateway_tenant",
                &[
                    "edge_id",
                    "name",
                    "priority",
                    "host",
                    "distribution_id",
                    "listener_rule_arn",
                ][..],
            ),
        ] {
            let block = &provider["resource_schemas"][resource]["block"];
            for attr in attrs {
                assert!(
                    block["attributes"][attr]["description"].is_string(),
                    "{version}: {resource}.{attr} missing in {block}"
                );
            }
        }
        assert!(provider["provider"]["block"]["attributes"]["region"].is_object());
    }
}

#[tokio::test]
async fn the_function_computes_hosts_in_a_plan() {
    let emulator = common::emulator::session().await;
    let config = format!(
        "{}{}{}",
        emulated_provider_block(&emulator.url),
        // A tenant's own tags need a rule of its own.
        seeded_edge(&emulator.url).replacen(
            "resource \"gateway_shared_edge\" \"main\" {",
            "resource \"gateway_shared_edge\" \"main\" {\n  rule_layout = \"per_tenant\"",
            1
        ),
        r#"
resource "gateway_tenant" "acme" {
  edge_id = gateway_shared_edge.main.id
  name    = "acme"
  tags    = { host = provider::gateway::tenant_host("acme", "gateway.example.com") }
}

output "acme_host" {
  value = provider::gateway::tenant_host("acme", "gateway.example.com")
}
"#
    );
    let ws = Workspace::new("1.15.5", &config).with_emulator_env();
    let out = ws.run(&["plan", "-out=tfplan", "-input=false", "-no-color"]);
    assert!(out.success(), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("acme.gateway.example.com"),
        "{}",
        out.stdout
    );
    let show = ws.run(&["show", "-json", "tfplan"]);
    let plan: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(
        plan["planned_values"]["outputs"]["acme_host"]["value"],
        "acme.gateway.example.com"
    );
    let tenant = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "gateway_tenant.acme")
        .unwrap();
    assert_eq!(
        tenant["change"]["after"]["tags"]["host"],
        "acme.gateway.example.com"
    );
    // The host is known at plan time, from the edge planned alongside.
    assert_eq!(
        tenant["change"]["after"]["host"],
        "acme.gateway.example.com"
    );
    assert_eq!(tenant["change"]["after"]["edge_id"], "gateway-prod");
}

/// An edge and three partners on it, against the emulator at `url`.
fn three_partners(url: &str) -> String {
    let partners = r#"
resource "gateway_tenant" "partner" {
  for_each = toset(["acme", "zeta", "kite"])
  edge_id  = gateway_shared_edge.main.id
  name     = each.key
}
"#;
    format!(
        "{}{}{partners}",
        emulated_provider_block(url),
        seeded_edge(url)
    )
}

#[tokio::test]
async fn plans_show_defaults_and_known_hosts() {
    let emulator = common::emulator::session().await;
    for version in VERSIONS {
        let config = three_partners(&emulator.url);
        let ws = Workspace::new(version, &config).with_emulator_env();
        let plan = ws.run(&["plan", "-input=false", "-no-color"]);
        assert!(
            plan.success(),
            "{version}: {}\n{}",
            plan.stdout,
            plan.stderr
        );
        assert!(
            plan.stdout.contains("4 to add"),
            "{version}: {}",
            plan.stdout
        );
        assert!(
            plan.stdout.contains("min_ttl"),
            "{version}: {}",
            plan.stdout
        );
        assert!(plan.stdout.contains("180"), "{version}: {}", plan.stdout);
        assert!(
            plan.stdout.contains("kite.gateway.example.com"),
            "{version}: {}",
            plan.stdout
        );
    }
}

/// A `terraform` found on PATH (outside the pinned tools), when the machine has one: the same
/// validation and a plan against the emulator. Its version is printed with the test output.
#[tokio::test]
async fn a_terraform_found_on_path() {
    let probe = Workspace::new("path", "");
    let version = probe.run(&["version"]);
    if version.code == 127 {
        println!("no terraform on PATH: nothing to check");
        return;
    }
    let line = version
        .stdout
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    println!("terraform on PATH: {line}");
    let numbers: Vec<u32> = line
        .trim_start_matches("Terraform v")
        .split(['.', '-'])
        .take(2)
        .filter_map(|n| n.parse().ok())
        .collect();
    if numbers.first().copied().unwrap_or(0) < 1 {
        println!("{line} predates plugin protocol 6: not supported, not checked");
        return;
    }
    let ws = Workspace::new("path", &valid_config());
    let out = ws.run(&["validate", "-json"]);
    assert!(out.success(), "{line}: {}\n{}", out.stdout, out.stderr);

    let emulator = common::emulator::session().await;
    let config = three_partners(&emulator.url);
    let ws = Workspace::new("path", &config).with_emulator_env();
    let plan = ws.run(&["plan", "-input=false", "-no-color"]);
    assert!(plan.success(), "{line}: {}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("4 to add"), "{line}: {}", plan.stdout);
}
