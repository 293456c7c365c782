//! The tfplugin6 service driven by a tonic client, in process: every RPC Terraform calls, with
//! well-formed and malformed requests. Every failure must come back as a diagnostic.

mod common;

use common::{dv, in_process, object, summaries, undv};
use futures::StreamExt as _;
use gateway::proto::tfplugin6 as pb;
use gateway::proto::tfplugin6::provider_client::ProviderClient;
use gateway::protocol::value::{Type, Value};
use tonic::transport::Channel;

/// Fails, showing them, when there are diagnostics.
fn assert_clean(diagnostics: &[pb::Diagnostic]) {
    assert!(diagnostics.is_empty(), "{:?}", summaries(diagnostics));
}

fn edge_type() -> Type {
    gateway::resources::shared_edge_schema().value_type()
}

fn tenant_type() -> Type {
    gateway::resources::tenant_schema().value_type()
}

const CERT: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666";
const LISTENER: &str = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2";
const TARGET_GROUP: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/app/73e2d6bc24d8a067";

fn edge_config(extra: &[(&str, Value)]) -> Value {
    let mut set = vec![
        ("name", Value::from("gateway-prod")),
        ("domain", Value::from("gateway.example.com")),
        ("hosted_zone_id", Value::from("Z0123456789ABCDEFGHIJ")),
        ("certificate_arn", Value::from(CERT)),
        ("alb_listener_arn", Value::from(LISTENER)),
        ("target_group_arn", Value::from(TARGET_GROUP)),
    ];
    set.extend(extra.iter().cloned());
    object(&edge_type(), &set)
}

fn tenant_config(name: &str) -> Value {
    object(
        &tenant_type(),
        &[
            ("edge_id", Value::from("gateway-prod")),
            ("name", Value::from(name)),
        ],
    )
}

#[tokio::test]
async fn metadata_and_schema_describe_the_provider() {
    let mut c = in_process().await.client;
    let meta = c
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    let mut resources: Vec<_> = meta
        .resources
        .iter()
        .map(|r| r.type_name.as_str())
        .collect();
    resources.sort();
    assert_eq!(resources, ["gateway_shared_edge", "gateway_tenant"]);
    assert_eq!(meta.functions[0].name, "tenant_host");
    let caps = meta.server_capabilities.unwrap();
    assert!(caps.get_provider_schema_optional && caps.plan_destroy);

    let schema = c
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(schema.diagnostics.is_empty());
    let edge = &schema.resource_schemas["gateway_shared_edge"];
    let block = edge.block.as_ref().unwrap();
    let attr = |name: &str| block.attributes.iter().find(|a| a.name == name).unwrap();
    assert!(attr("name").required);
    assert!(attr("min_ttl").optional && attr("min_ttl").computed);
    assert!(attr("min_ttl").description.contains("180"));
    assert!(attr("distribution_ids").computed && !attr("distribution_ids").optional);
    for a in &block.attributes {
        assert!(!a.description.is_empty(), "{} has no description", a.name);
    }
    assert_eq!(block.block_types[0].type_name, "timeouts");
    let provider = schema.provider.unwrap().block.unwrap();
    let names: Vec<_> = provider
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    for expected in [
        "region",
        "profile",
        "max_retries",
        "skip_credentials_validation",
    ] {
        assert!(names.contains(&expected), "{expected}");
    }
    let blocks: Vec<_> = provider
        .block_types
        .iter()
        .map(|b| b.type_name.as_str())
        .collect();
    assert_eq!(blocks, ["assume_role", "endpoints", "default_tags"]);
    assert!(schema.functions.contains_key("tenant_host"));

    let ids = c
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(ids.diagnostics.is_empty());
    let functions = c
        .get_functions(pb::get_functions::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(functions.functions["tenant_host"].parameters.len(), 2);
}

#[tokio::test]
async fn validation_points_at_attributes() {
    let mut c = in_process().await.client;
    let ok = c
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "gateway_shared_edge".into(),
            config: dv(&edge_config(&[]), &edge_type()),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        ok.diagnostics.is_empty(),
        "{:?}",
        summaries(&ok.diagnostics)
    );

    let bad = edge_config(&[
        ("min_ttl", Value::from(600i64)),
        ("default_ttl", Value::from(60i64)),
        ("price_class", Value::from("PriceClass_Cheap")),
        ("domain", Value::from("Gateway.example.com")),
    ]);
    let resp = c
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "gateway_shared_edge".into(),
            config: dv(&bad, &edge_type()),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    let got = summaries(&resp.diagnostics);
    for at in ["@domain:", "@price_class:", "@default_ttl:"] {
        assert!(
            got.iter().any(|d| d.contains(at)),
            "{at} missing in {got:?}"
        );
    }

    let resp = c
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "gateway_tenant".into(),
            config: dv(&tenant_config("Not_A_Label"), &tenant_type()),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    let got = summaries(&resp.diagnostics);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("Invalid tenant name@name:"), "{got:?}");

    // Unknown values are not judged until they are known.
    let unknown = object(
        &tenant_type(),
        &[("edge_id", Value::Unknown), ("name", Value::Unknown)],
    );
    let resp = c
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "gateway_tenant".into(),
            config: dv(&unknown, &tenant_type()),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty());
}

#[tokio::test]
async fn provider_config_validates_and_configures() {
    let mut c = in_process().await.client;
    let ty = gateway::provider::config::schema().value_type();
    let bad = object(
        &ty,
        &[
            ("region", Value::from("Europe")),
            ("max_retries", Value::from(99i64)),
        ],
    );
    let resp = c
        .validate_provider_config(pb::validate_provider_config::Request {
            config: dv(&bad, &ty),
        })
        .await
        .unwrap()
        .into_inner();
    let got = summaries(&resp.diagnostics);
    assert!(got.iter().any(|d| d.contains("@region:")), "{got:?}");
    assert!(got.iter().any(|d| d.contains("@max_retries:")), "{got:?}");

    let good = object(
        &ty,
        &[
            ("region", Value::from("eu-west-1")),
            ("skip_credentials_validation", Value::Bool(true)),
        ],
    );
    let resp = c
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: dv(&good, &ty),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_clean(&resp.diagnostics);
}

#[tokio::test]
async fn plan_fills_defaults_and_unknowns() {
    let mut c = in_process().await.client;
    let ty = edge_type();
    let config = edge_config(&[]);
    let resp = c
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "gateway_shared_edge".into(),
            prior_state: dv(&Value::Null, &ty),
            proposed_new_state: dv(&config, &ty),
            config: dv(&config, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_clean(&resp.diagnostics);
    let planned = undv(&resp.planned_state, &ty);
    assert_eq!(planned.get("min_ttl"), Some(&Value::from(180i64)));
    assert_eq!(
        planned.get("max_aliases_per_distribution"),
        Some(&Value::from(100i64))
    );
    assert_eq!(planned.get("ipv6_enabled"), Some(&Value::Bool(true)));
    // The id is the name, known before the edge exists.
    assert_eq!(planned.get("id"), Some(&Value::from("gateway-prod")));
    assert_eq!(planned.get("distribution_ids"), Some(&Value::Unknown));
    assert_eq!(planned.get("web_acl_id"), Some(&Value::Null));
}

#[tokio::test]
async fn apply_without_configuration_is_a_diagnostic() {
    let mut c = in_process().await.client;
    let ty = tenant_type();
    let mut planned = tenant_config("acme");
    if let Value::Object(fields) = &mut planned {
        for name in [
            "id",
            "host",
            "priority",
            "distribution_id",
            "distribution_domain_name",
            "listener_rule_arn",
            "dns_record_types",
        ] {
            fields.insert(name.into(), Value::Unknown);
        }
    }
    let resp = c
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: "gateway_tenant".into(),
            prior_state: dv(&Value::Null, &ty),
            planned_state: dv(&planned, &ty),
            config: dv(&tenant_config("acme"), &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let got = summaries(&resp.diagnostics);
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("Provider not configured"), "{got:?}");
    assert_eq!(undv(&resp.new_state, &ty), Value::Null);
}

#[tokio::test]
async fn read_and_import_and_data_sources() {
    let mut c = in_process().await.client;
    let ty = tenant_type();
    let state = object(
        &ty,
        &[
            ("id", Value::from("gateway-prod/acme")),
            ("edge_id", Value::from("gateway-prod")),
            ("name", Value::from("acme")),
        ],
    );
    // Unconfigured, a read fails and keeps the state as it was.
    let resp = c
        .read_resource(pb::read_resource::Request {
            type_name: "gateway_tenant".into(),
            current_state: dv(&state, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(summaries(&resp.diagnostics)[0].starts_with("Provider not configured"));
    assert_eq!(undv(&resp.new_state, &ty), state);

    let resp = c
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "gateway_tenant".into(),
            id: "gateway-prod/acme".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    // An import looks at what AWS holds (to take over a tenant someone else made), so it
    // needs the provider configured, as Terraform always has it; a malformed id is refused
    // before that.
    assert!(summaries(&resp.diagnostics)[0].starts_with("Provider not configured"));
    assert!(resp.imported_resources.is_empty());
    for bad in ["acme", "gateway-prod/Acme", "a/b/c"] {
        let resp = c
            .import_resource_state(pb::import_resource_state::Request {
                type_name: "gateway_tenant".into(),
                id: bad.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(resp.imported_resources.is_empty(), "{bad}");
        assert!(
            summaries(&resp.diagnostics)[0].starts_with("Invalid import id"),
            "{bad}"
        );
    }

    let resp = c
        .validate_data_resource_config(pb::validate_data_resource_config::Request {
            type_name: "gateway_nothing".into(),
            config: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(summaries(&resp.diagnostics)[0].starts_with("Unknown data source type"));
    let resp = c
        .read_data_source(pb::read_data_source::Request {
            type_name: "gateway_nothing".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(summaries(&resp.diagnostics)[0].starts_with("Unknown data source type"));
}

#[tokio::test]
async fn functions_compute_and_blame_arguments() {
    let mut c = in_process().await.client;
    let call = |name: &str, domain: &str| pb::call_function::Request {
        name: "tenant_host".into(),
        arguments: vec![
            dv(&Value::from(name), &Type::String).unwrap(),
            dv(&Value::from(domain), &Type::String).unwrap(),
        ],
    };
    let resp = c
        .call_function(call("acme", "gateway.example.com"))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.error.is_none());
    assert_eq!(
        undv(&resp.result, &Type::String),
        Value::from("acme.gateway.example.com")
    );
    let resp = c
        .call_function(call("acme", "nodots"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resp.error.unwrap().function_argument, Some(1));
    let resp = c
        .call_function(pb::call_function::Request {
            name: "tenant_host".into(),
            arguments: vec![
                dv(&Value::Null, &Type::String).unwrap(),
                dv(&Value::from("a.b"), &Type::String).unwrap(),
            ],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resp.error.unwrap().function_argument, Some(0));
    let resp = c
        .call_function(pb::call_function::Request {
            name: "nope".into(),
            arguments: vec![],
        })
        .await
        .unwrap()
        .into_inner();
    assert!(resp.error.unwrap().text.contains("no function"));
}

/// A request that Terraform would never send, to one of the RPCs.
enum Malformed {
    Validate(pb::validate_resource_config::Request),
    Plan(pb::plan_resource_change::Request),
    Apply(pb::apply_resource_change::Request),
    Read(pb::read_resource::Request),
}

/// The diagnostics of an RPC's answer.
macro_rules! diagnostics {
    ($call:expr) => {
        $call.await.unwrap().into_inner().diagnostics
    };
}

impl Malformed {
    /// Sends the request; answers the diagnostics of the response.
    async fn send(self, c: &mut ProviderClient<Channel>) -> Vec<pb::Diagnostic> {
        match self {
            Malformed::Validate(r) => diagnostics!(c.validate_resource_config(r)),
            Malformed::Plan(r) => diagnostics!(c.plan_resource_change(r)),
            Malformed::Apply(r) => diagnostics!(c.apply_resource_change(r)),
            Malformed::Read(r) => diagnostics!(c.read_resource(r)),
        }
    }
}

#[tokio::test]
async fn malformed_requests_get_diagnostics_not_panics() {
    let mut c = in_process().await.client;
    let garbage_value = pb::DynamicValue {
        msgpack: vec![0xc1, 0xff, 0x00],
        json: Vec::new(),
    };
    let garbage = Some(garbage_value.clone());
    let tenant = || "gateway_tenant".to_string();
    let read = |type_name: &str| {
        Malformed::Read(pb::read_resource::Request {
            type_name: type_name.into(),
            ..Default::default()
        })
    };
    let cases = vec![
        (
            "undecodable config",
            Malformed::Validate(pb::validate_resource_config::Request {
                type_name: tenant(),
                config: garbage.clone(),
                client_capabilities: None,
            }),
            "Invalid request",
        ),
        (
            "undecodable plan",
            Malformed::Plan(pb::plan_resource_change::Request {
                type_name: tenant(),
                prior_state: garbage.clone(),
                proposed_new_state: garbage.clone(),
                config: garbage.clone(),
                ..Default::default()
            }),
            "Invalid request",
        ),
        (
            "a string where an object belongs",
            Malformed::Apply(pb::apply_resource_change::Request {
                type_name: tenant(),
                prior_state: dv(&Value::from("x"), &Type::String),
                ..Default::default()
            }),
            "Invalid request",
        ),
        ("no type", read(""), "Unknown resource type"),
        (
            "another provider's type",
            read("aws_instance"),
            "Unknown resource type",
        ),
        (
            "a type with a NUL",
            read("gateway_tenant\u{0}"),
            "Unknown resource type",
        ),
        (
            "private state that is not JSON",
            Malformed::Read(pb::read_resource::Request {
                type_name: tenant(),
                current_state: dv(&tenant_config("acme"), &tenant_type()),
                private: b"{not json".to_vec(),
                ..Default::default()
            }),
            "Invalid request",
        ),
    ];
    for (case, request, summary) in cases {
        let diagnostics = request.send(&mut c).await;
        assert!(
            summaries(&diagnostics)
                .first()
                .is_some_and(|s| s.starts_with(summary)),
            "{case}: {:?}",
            summaries(&diagnostics)
        );
    }

    let resp = c
        .call_function(pb::call_function::Request {
            name: "tenant_host".into(),
            arguments: vec![garbage_value.clone(), garbage_value],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resp.error.unwrap().function_argument, Some(0));
}

#[tokio::test]
async fn upgrade_state_checks_versions_and_drops_removed_attributes() {
    let mut c = in_process().await.client;
    let ty = tenant_type();
    let upgrade = |version: i64, json: &str| pb::upgrade_resource_state::Request {
        type_name: "gateway_tenant".into(),
        version,
        raw_state: Some(pb::RawState {
            json: json.as_bytes().to_vec(),
            flatmap: Default::default(),
        }),
    };
    let stored = r#"{"id":"gateway-prod/acme","edge_id":"gateway-prod","name":"acme","priority":7,"tags":null,"host":"acme.gateway.example.com","distribution_id":"E1","distribution_domain_name":"d1.cloudfront.net","listener_rule_arn":"arn:x","timeouts":null,"retired_attribute":"x"}"#;
    let resp = c
        .upgrade_resource_state(upgrade(0, stored))
        .await
        .unwrap()
        .into_inner();
    assert_clean(&resp.diagnostics);
    let state = undv(&resp.upgraded_state, &ty);
    assert_eq!(state.get("priority"), Some(&Value::from(7i64)));

    let resp = c
        .upgrade_resource_state(upgrade(9, stored))
        .await
        .unwrap()
        .into_inner();
    assert!(summaries(&resp.diagnostics)[0].starts_with("State from a newer provider"));
    let resp = c
        .upgrade_resource_state(upgrade(-1, stored))
        .await
        .unwrap()
        .into_inner();
    assert!(summaries(&resp.diagnostics)[0].starts_with("Invalid request"));
    let resp = c
        .upgrade_resource_state(upgrade(0, "{nope"))
        .await
        .unwrap()
        .into_inner();
    assert!(summaries(&resp.diagnostics)[0].starts_with("Invalid request"));
    let resp = c
        .upgrade_resource_state(upgrade(0, r#"{"name": 5, "priority": "high"}"#))
        .await
        .unwrap()
        .into_inner();
    assert!(summaries(&resp.diagnostics)[0].starts_with("Unable to read stored state"));
}

#[tokio::test]
async fn stop_provider_does_not_stop_the_server() {
    let mut c = in_process().await.client;
    let resp = c
        .stop_provider(pb::stop_provider::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(resp.error.is_empty());
    c.get_metadata(pb::get_metadata::Request {}).await.unwrap();
}

#[tokio::test]
async fn unimplemented_rpcs_say_so() {
    let mut c = in_process().await.client;
    let err = c
        .move_resource_state(pb::move_resource_state::Request::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unimplemented);
}

#[tokio::test]
async fn list_blocks_and_generated_configuration() {
    let mut c = in_process().await.client;
    let meta = c
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    let listed: Vec<&str> = meta
        .list_resources
        .iter()
        .map(|l| l.type_name.as_str())
        .collect();
    assert_eq!(listed, ["gateway_shared_edge", "gateway_tenant"]);
    assert!(meta.server_capabilities.unwrap().generate_resource_config);
    let schema = c
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let tenants = &schema.list_resource_schemas["gateway_tenant"];
    let edge_id = &tenants.block.as_ref().unwrap().attributes[0];
    assert_eq!((edge_id.name.as_str(), edge_id.required), ("edge_id", true));

    let list_type = Type::object([("edge_id", Type::String)]);
    let config = Value::object([("edge_id", Value::from("bad edge"))]);
    let resp = c
        .validate_list_resource_config(pb::validate_list_resource_config::Request {
            type_name: "gateway_tenant".into(),
            config: dv(&config, &list_type),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        summaries(&resp.diagnostics)[0].starts_with("Invalid edge"),
        "{:?}",
        summaries(&resp.diagnostics)
    );
    // Unconfigured, a list is one event carrying the diagnostic.
    let events: Vec<pb::list_resource::Event> = c
        .list_resource(pb::list_resource::Request {
            type_name: "gateway_tenant".into(),
            config: dv(
                &Value::object([("edge_id", Value::from("gateway-prod"))]),
                &list_type,
            ),
            include_resource_object: true,
            limit: 100,
        })
        .await
        .unwrap()
        .into_inner()
        .map(|e| e.unwrap())
        .collect()
        .await;
    assert_eq!(events.len(), 1);
    assert!(events[0].identity.is_none());
    assert!(summaries(&events[0].diagnostic)[0].starts_with("Provider not configured"));
    let resp = c
        .validate_list_resource_config(pb::validate_list_resource_config::Request {
            type_name: "gateway_nothing".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(summaries(&resp.diagnostics)[0].starts_with("Unknown resource type"));

    // The generated tenant block holds what a user writes, nothing computed.
    let ty = tenant_type();
    let state = object(
        &ty,
        &[
            ("id", Value::from("gateway-prod/acme")),
            ("edge_id", Value::from("gateway-prod")),
            ("name", Value::from("acme")),
            ("priority", Value::from(7)),
            ("host", Value::from("acme.gateway.example.com")),
            ("listener_rule_arn", Value::from("arn:rule")),
        ],
    );
    let resp = c
        .generate_resource_config(pb::generate_resource_config::Request {
            type_name: "gateway_tenant".into(),
            state: dv(&state, &ty),
        })
        .await
        .unwrap()
        .into_inner();
    assert_clean(&resp.diagnostics);
    let config = undv(&resp.config, &ty);
    assert_eq!(config.get("name"), Some(&Value::from("acme")));
    assert_eq!(config.get("edge_id"), Some(&Value::from("gateway-prod")));
    for computed in ["id", "host", "listener_rule_arn", "priority"] {
        assert_eq!(config.get(computed), Some(&Value::Null), "{computed}");
    }
}
