//! The shared service layer against the honest emulator: alias changes merged within a
//! process, and two processes growing one pool at once without exceeding its cap.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use common::emulator::{session, Session, CERTIFICATE_ARN};
use gateway::domain::edge::{EdgeRecord, TAG_EDGE, TAG_TENANT};
use gateway::service::aliases::WaitPolicy;
use gateway::service::{AliasOutcome, EdgeSpec, Gateway, Settings};
use tokio_util::sync::CancellationToken;

const DOMAIN: &str = "gateway.example.com";

async fn gateway(emulator: &Session) -> Arc<Gateway> {
    Arc::new(Gateway::new(
        emulator.clients().await,
        Settings {
            default_tags: BTreeMap::new(),
        },
    ))
}

async fn edge_spec(emulator: &Session, max_aliases: usize, max_distributions: usize) -> EdgeSpec {
    let alb = emulator.make_alb("edge").await;
    let zone = emulator.make_zone(DOMAIN).await;
    EdgeSpec {
        record: EdgeRecord {
            name: "edge".into(),
            generation: "1".into(),
            domain: DOMAIN.into(),
            hosted_zone_id: zone,
            listener_arn: alb.listener_arn,
            target_group_arn: alb.target_group_arn,
            max_aliases_per_distribution: max_aliases,
            max_distributions,
            max_listener_rules: 1000,
            wait_for_deployment: true,
            ipv6_enabled: true,
        },
        certificate_arn: CERTIFICATE_ARN.into(),
        origin_domain_name: "edge-alb.eu-west-1.elb.amazonaws.com".into(),
        min_ttl: 180,
        default_ttl: 3600,
        max_ttl: 86400,
        compress: true,
        price_class: "PriceClass_All".into(),
        web_acl_id: None,
        tags: BTreeMap::new(),
    }
}

fn policy(wait: bool) -> WaitPolicy {
    WaitPolicy {
        wait,
        timeout: Duration::from_secs(60),
        cancel: CancellationToken::new(),
    }
}

/// A provider process and an edge it created, of up to five distributions of 100 aliases.
async fn edge_of_five(emulator: &Session) -> (Arc<Gateway>, EdgeSpec) {
    let gw = gateway(emulator).await;
    let spec = edge_spec(emulator, 100, 5).await;
    gw.create_edge(&spec).await.unwrap();
    (gw, spec)
}

#[tokio::test]
async fn concurrent_alias_changes_share_read_modify_writes() {
    let emulator = session().await;
    let (gw, _spec) = edge_of_five(&emulator).await;
    emulator.reset_calls().await;

    let hosts: Vec<String> = (0..10).map(|i| format!("t{i}.{DOMAIN}")).collect();
    let tasks: Vec<_> = hosts
        .iter()
        .map(|host| {
            let gw = gw.clone();
            let host = host.clone();
            tokio::spawn(async move {
                let placed = gw
                    .place_tenant_alias("edge", &host, &policy(true))
                    .await
                    .unwrap();
                // Every tenant waits for the deployment of its change.
                if let gateway::service::AliasOutcome::Added { wait: Some(wait) } = placed.outcome {
                    wait.await.unwrap();
                }
                placed.distribution.id
            })
        })
        .collect();
    let mut ids = BTreeSet::new();
    for task in tasks {
        ids.insert(task.await.unwrap());
    }
    assert_eq!(ids.len(), 1, "one distribution has room for all");

    let updates = emulator.count("cloudfront:UpdateDistribution").await;
    assert!(
        (1..=3).contains(&updates),
        "10 concurrent adds were merged into {updates} writes"
    );
    // Tenants changed together share one wait: far fewer reads than tenants times polls.
    let polls = emulator.count("cloudfront:GetDistribution").await;
    assert!(
        polls <= 3 * updates + 3,
        "{polls} GetDistribution for {updates} updates"
    );

    gw.invalidate_distributions().await;
    let edge = gw.edge("edge").await.unwrap();
    assert_eq!(edge.hosts(), hosts.iter().cloned().collect());
}

#[tokio::test]
async fn two_processes_growing_one_pool_respect_its_cap() {
    let emulator = session().await;
    let first = gateway(&emulator).await;
    let spec = edge_spec(&emulator, 50, 5).await;
    first.create_edge(&spec).await.unwrap();
    // A second provider process with its own caches, as another Terraform state would have.
    let second = gateway(&emulator).await;

    let mut tasks = Vec::new();
    for (gw, range) in [(first.clone(), 0..60), (second.clone(), 60..120)] {
        for i in range {
            let gw = gw.clone();
            tasks.push(tokio::spawn(async move {
                let host = format!("p{i}.{DOMAIN}");
                gw.place_tenant_alias("edge", &host, &policy(false))
                    .await
                    .map(|p| p.distribution.id)
            }));
        }
    }
    for task in tasks {
        task.await.unwrap().expect("every tenant is placed");
    }

    let fresh = gateway(&emulator).await;
    let edge = fresh.edge("edge").await.unwrap();
    let sizes: Vec<usize> = edge
        .members
        .iter()
        .map(|m| m.distribution.aliases.len())
        .collect();
    assert_eq!(edge.hosts().len(), 120, "{sizes:?}");
    assert!(
        sizes.iter().all(|n| *n <= 50),
        "a distribution over its cap: {sizes:?}"
    );
    assert_eq!(
        edge.members.len(),
        3,
        "one distribution per slot: {sizes:?}"
    );
    let slots: BTreeSet<u32> = edge.members.iter().map(|m| m.slot).collect();
    assert_eq!(slots, [0, 1, 2].into_iter().collect());
}

#[tokio::test]
async fn a_full_pool_refuses_with_capacity_error() {
    let emulator = session().await;
    let gw = gateway(&emulator).await;
    let spec = edge_spec(&emulator, 2, 1).await;
    gw.create_edge(&spec).await.unwrap();
    for i in 0..2 {
        gw.place_tenant_alias("edge", &format!("f{i}.{DOMAIN}"), &policy(false))
            .await
            .unwrap();
    }
    let err = match gw
        .place_tenant_alias("edge", &format!("f2.{DOMAIN}"), &policy(false))
        .await
    {
        Ok(_) => panic!("a third alias fit in a pool of one distribution of two"),
        Err(err) => err,
    };
    assert!(
        matches!(err, gateway::service::GatewayError::Capacity(_)),
        "{err}"
    );
    assert_eq!(
        emulator
            .count("cloudfront:CreateDistributionWithTags")
            .await,
        1
    );
}

#[tokio::test]
async fn a_retried_request_that_already_took_effect_is_not_made_twice() {
    let emulator = session().await;
    let (gw, spec) = edge_of_five(&emulator).await;
    let host = format!("lost.{DOMAIN}");
    let listener = &spec.record.listener_arn;
    let zone = &spec.record.hosted_zone_id;
    emulator.reset_calls().await;

    // Each first answer is lost after AWS made the change; the SDK retries the request.
    emulator
        .lose_responses("cloudfront:UpdateDistribution", 1)
        .await;
    let placed = gw
        .place_tenant_alias("edge", &host, &policy(true))
        .await
        .expect("the alias is in place after the retry");
    // The retry found nothing left to change, but the change it made still has to deploy.
    assert!(
        matches!(placed.outcome, AliasOutcome::Added { wait: Some(_) }),
        "no deployment wait after a lost answer"
    );

    emulator.lose_responses("elbv2:CreateRule", 1).await;
    let tags: BTreeMap<String, String> = [
        (TAG_EDGE.to_string(), "edge".to_string()),
        (TAG_TENANT.to_string(), "lost".to_string()),
    ]
    .into();
    let rule = gw
        .create_tenant_rule(listener, &host, &spec.record.target_group_arn, None, tags)
        .await
        .expect("the rule made by the first attempt is adopted");

    emulator
        .lose_responses("route53:ChangeResourceRecordSets", 1)
        .await;
    gw.create_tenant_records(
        zone,
        &host,
        &placed.distribution.domain_name,
        true,
        &[],
        None,
    )
    .await
    .expect("the records made by the first attempt are recognised");

    // Each request did reach AWS twice, and AWS holds each object once.
    for op in [
        "cloudfront:UpdateDistribution",
        "elbv2:CreateRule",
        "route53:ChangeResourceRecordSets",
    ] {
        assert_eq!(emulator.statuses(op).await.first(), Some(&500), "{op}");
        assert!(emulator.count(op).await >= 2, "{op} was not retried");
    }
    let fresh = gateway(&emulator).await;
    let edge = fresh.edge("edge").await.unwrap();
    assert_eq!(edge.hosts(), BTreeSet::from([host.clone()]));
    let rules = fresh.listener_rules(listener).await.unwrap();
    let for_host: Vec<_> = rules.iter().filter(|r| r.hosts == [host.clone()]).collect();
    assert_eq!(for_host.len(), 1, "{rules:?}");
    assert_eq!(for_host[0].arn, rule.arn);
    let records = fresh.tenant_records(zone, &host).await.unwrap();
    assert_eq!(
        records.types_pointing_at(&placed.distribution.domain_name),
        ["A", "AAAA"]
    );
}

#[tokio::test]
async fn rules_are_counted_over_every_listener_of_the_load_balancer() {
    use aws_sdk_elasticloadbalancingv2::types as elb;
    let emulator = session().await;
    let gw = gateway(&emulator).await;
    let alb = emulator.make_alb("edge").await;
    let (listener, target_group) = (&alb.listener_arn, &alb.target_group_arn);
    let sdk = emulator.elbv2_sdk();
    // Another listener of the same load balancer, with two rules of its own.
    let other = sdk
        .create_listener()
        .load_balancer_arn(&alb.load_balancer_arn)
        .protocol(elb::ProtocolEnum::Http)
        .port(8080)
        .default_actions(
            elb::Action::builder()
                .r#type(elb::ActionTypeEnum::Forward)
                .target_group_arn(target_group)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .listeners
        .unwrap()
        .remove(0)
        .listener_arn
        .unwrap();
    for (priority, host) in [(1, "a.other.example"), (2, "b.other.example")] {
        let (conditions, actions) =
            gateway::aws::elbv2::host_rule_parts(&[host.to_string()], target_group);
        sdk.create_rule()
            .listener_arn(&other)
            .priority(priority)
            .set_conditions(Some(conditions))
            .set_actions(Some(actions))
            .send()
            .await
            .unwrap();
    }

    assert_eq!(
        gw.load_balancer_rules_used(listener).await.unwrap(),
        Some(2)
    );
    let host = format!("counted.{DOMAIN}");
    gw.create_tenant_rule(listener, &host, target_group, None, BTreeMap::new())
        .await
        .unwrap();
    // The provider's own rule is counted from the patched cache, without reading again.
    emulator.reset_calls().await;
    assert_eq!(
        gw.load_balancer_rules_used(listener).await.unwrap(),
        Some(3)
    );
    assert_eq!(emulator.calls().await.values().sum::<u64>(), 0);

    let missing = listener.replace("listener/app", "listener/app-gone");
    let fresh = gateway(&emulator).await;
    assert_eq!(
        fresh.load_balancer_rules_used(&missing).await.unwrap(),
        None
    );
}

/// Creates the alias records of `t{i}.DOMAIN` for each `i` at once, waiting for sync; answers
/// the hosts created and the indexes refused with their errors.
async fn create_records_together(
    gw: &Arc<Gateway>,
    zone: &str,
    domain: &str,
    count: usize,
) -> (Vec<String>, Vec<(usize, String)>) {
    let cancel = CancellationToken::new();
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let (gw, zone, domain) = (gw.clone(), zone.to_string(), domain.to_string());
            let cancel = cancel.clone();
            tokio::spawn(async move {
                let host = format!("t{i}.{DOMAIN}");
                let wait = Some((Duration::from_secs(30), &cancel));
                gw.create_tenant_records(&zone, &host, &domain, true, &[], wait)
                    .await
                    .map(|_| host)
            })
        })
        .collect();
    let (mut created, mut refused) = (Vec::new(), Vec::new());
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(host) => created.push(host),
            Err(err) => refused.push((i, err.to_string())),
        }
    }
    (created, refused)
}

/// [`edge_of_five`], with the domain name of its first distribution.
async fn edge_with_domain(emulator: &Session) -> (Arc<Gateway>, EdgeSpec, String) {
    let (gw, spec) = edge_of_five(emulator).await;
    let domain = gw.edge("edge").await.unwrap().members[0]
        .distribution
        .domain_name
        .clone();
    (gw, spec, domain)
}

#[tokio::test]
async fn record_changes_made_together_share_calls_and_waits() {
    let emulator = session().await;
    emulator
        .configure(serde_json::json!({"route53_pending_reads": 2}))
        .await;
    let (gw, spec, domain) = edge_with_domain(&emulator).await;
    let zone = &spec.record.hosted_zone_id;
    emulator.reset_calls().await;

    let (created, refused) = create_records_together(&gw, zone, &domain, 10).await;
    assert_eq!(created.len(), 10, "{refused:?}");
    // One by one this is 10 writes and 30 polls (two PENDING reads, then INSYNC, each).
    let writes = emulator.count("route53:ChangeResourceRecordSets").await;
    let polls = emulator.count("route53:GetChange").await;
    assert!(
        writes <= 3,
        "{writes} ChangeResourceRecordSets for 10 tenants"
    );
    assert!(
        polls <= 3 * writes,
        "{polls} GetChange for {writes} changes"
    );
    let fresh = gateway(&emulator).await;
    for host in &created {
        let records = fresh.tenant_records(zone, host).await.unwrap();
        assert_eq!(records.types_pointing_at(&domain), ["A", "AAAA"], "{host}");
    }
}

#[tokio::test]
async fn a_refused_change_in_a_merged_call_fails_its_tenant_alone() {
    use aws_sdk_route53::types as r53;
    let emulator = session().await;
    let (gw, spec, domain) = edge_with_domain(&emulator).await;
    let zone = &spec.record.hosted_zone_id;
    // Someone else's record on one of the hosts.
    let taken = format!("t3.{DOMAIN}");
    let foreign = r53::ResourceRecordSet::builder()
        .name(format!("{taken}."))
        .r#type(r53::RrType::A)
        .ttl(60)
        .resource_records(
            r53::ResourceRecord::builder()
                .value("192.0.2.1")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let change = r53::Change::builder()
        .action(r53::ChangeAction::Create)
        .resource_record_set(foreign.clone())
        .build()
        .unwrap();
    emulator
        .route53_sdk()
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(r53::ChangeBatch::builder().changes(change).build().unwrap())
        .send()
        .await
        .unwrap();

    let (created, refused) = create_records_together(&gw, zone, &domain, 10).await;
    assert_eq!(created.len(), 9, "{refused:?}");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].0, 3, "{refused:?}");
    assert!(refused[0].1.contains("already exists"), "{refused:?}");
    let fresh = gateway(&emulator).await;
    for host in &created {
        let records = fresh.tenant_records(zone, host).await.unwrap();
        assert_eq!(records.types_pointing_at(&domain), ["A", "AAAA"], "{host}");
    }
    let records = fresh.tenant_records(zone, &taken).await.unwrap();
    assert_eq!(records.others.len(), 1, "the foreign record is untouched");
    assert_eq!(records.others[0].resource_records, foreign.resource_records);
    assert!(records.aliases.is_empty());
}
