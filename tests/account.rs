//! The account layer against the honest emulator: the concurrency algorithms as the provider
//! runs them — alias changes merged per distribution with the cap and the ETag retry, pool
//! growth by several processes, the choice of a free priority with the `PriorityInUse` retry,
//! record changes merged per zone — and the capacity the plan check and the data source read.
//!
//! An edge is set up as a pool distribution with the edge's comment and tags, made with the
//! AWS layer, so that what is tested here is only the account layer.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudfront::types::DistributionConfig;
use common::emulator::{distribution_config, fast_options, session, Session};
use common::intercept::{Call, Intercepted};
use futures::FutureExt;
use gateway::account::aliases::Aliases;
use gateway::account::{Account, AccountError, Group, NewRule, Rules, Settings};
use gateway::aws::cloudfront::CloudFrontApi;
use gateway::aws::elbv2::Elbv2Api;
use gateway::aws::{AwsClients, CloudFront, Deadline, Elbv2, ErrorKind};
use gateway::domain::aliases::{AliasChange, AliasResult};
use gateway::domain::capacity::RuleRoom;
use gateway::domain::edge::{pool_comment, EdgeRecord, RuleLayout, TAG_EDGE, TAG_TENANT};
use gateway::protocol::resource::{Context, DataSource};
use gateway::protocol::value::Value;
use gateway::protocol::Diagnostics;
use gateway::resources::EdgeCapacityDataSource;
use tokio_util::sync::CancellationToken;

const DOMAIN: &str = "gateway.example.com";
const EDGE: &str = "edge";

fn deadline() -> Deadline {
    Deadline::after(
        Duration::from_secs(60),
        CancellationToken::new(),
        "timeouts.create",
    )
}

/// A provider process: its own caches, as another Terraform state would have.
async fn account(emulator: &Session) -> Arc<Account> {
    Arc::new(Account::new(emulator.clients().await, Settings::default()))
}

/// An edge of up to `max_distributions` distributions of `max_aliases`, with its first
/// distribution: the listener, target group and zone it points at are made too.
async fn make_edge(emulator: &Session, max_aliases: usize, max_distributions: usize) -> EdgeRecord {
    let alb = emulator.make_alb(EDGE).await;
    let record = EdgeRecord {
        name: EDGE.into(),
        generation: "1".into(),
        domain: DOMAIN.into(),
        hosted_zone_id: emulator.make_zone(DOMAIN).await,
        listener_arn: alb.listener_arn,
        target_group_arn: alb.target_group_arn,
        max_aliases_per_distribution: max_aliases,
        max_distributions,
        max_listener_rules: 1000,
        wait_for_deployment: true,
        ipv6_enabled: true,
        rule_layout: RuleLayout::PerTenant,
        adoption: None,
        mode: Default::default(),
        connection_group: None,
    };
    let mut config = distribution_config(&record.caller_reference(0), &[]);
    config.comment = pool_comment(EDGE, 0);
    emulator
        .clients()
        .await
        .cloudfront
        .create_distribution(config, &record.tags(0))
        .await
        .expect("the edge's first distribution");
    record
}

/// A distribution outside any edge, holding `aliases`; answers its id.
async fn make_distribution(aws: &AwsClients, reference: &str, aliases: &[&str]) -> String {
    aws.cloudfront
        .create_distribution(distribution_config(reference, aliases), &BTreeMap::new())
        .await
        .expect("CreateDistributionWithTags")
        .value
        .id
}

async fn config_of(aws: &AwsClients, id: &str) -> DistributionConfig {
    aws.cloudfront
        .find_distribution_config_by_id(id)
        .await
        .unwrap()
        .unwrap()
        .value
}

async fn aliases_of(aws: &AwsClients, id: &str) -> BTreeSet<String> {
    config_of(aws, id)
        .await
        .aliases
        .and_then(|a| a.items)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

async fn assert_aliases(aws: &AwsClients, id: &str, expected: &[&str]) {
    let expected: BTreeSet<String> = expected.iter().map(|a| a.to_string()).collect();
    assert_eq!(aliases_of(aws, id).await, expected, "aliases of {id}");
}

fn add(host: &str) -> AliasChange {
    AliasChange::Add {
        host: host.into(),
        cap: 100,
    }
}

// ---------------------------------------------------------------------------------------------
// Alias writes
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_alias_write_reads_once_writes_once_and_repeats_are_free() {
    let s = session().await;
    let aws = s.clients().await;
    let id = make_distribution(&aws, "pool", &["a.example.com"]).await;
    let aliases = Aliases::new(aws.cloudfront.clone());
    s.reset_calls().await;

    let added = aliases.submit(&id, add("b.example.com")).await.unwrap();
    assert_eq!(added.result, AliasResult::Added);
    assert_eq!(s.count("cloudfront:GetDistributionConfig").await, 1);
    assert_eq!(s.count("cloudfront:UpdateDistribution").await, 1);

    // Already there, compared normalized: one read, no write.
    let again = aliases.submit(&id, add("b.example.com")).await.unwrap();
    assert_eq!(again.result, AliasResult::Added);
    let gone = AliasChange::Remove {
        host: "c.example.com".into(),
    };
    assert_eq!(
        aliases.submit(&id, gone).await.unwrap().result,
        AliasResult::Removed
    );
    assert_eq!(s.count("cloudfront:GetDistributionConfig").await, 3);
    assert_eq!(s.count("cloudfront:UpdateDistribution").await, 1);

    // A write after this process's last starts from what that one left: no read.
    let remove = AliasChange::Remove {
        host: "a.example.com".into(),
    };
    aliases.submit(&id, remove).await.unwrap();
    assert_eq!(s.count("cloudfront:GetDistributionConfig").await, 3);
    assert_eq!(s.count("cloudfront:UpdateDistribution").await, 2);
    assert_aliases(&aws, &id, &["b.example.com"]).await;

    // Someone else changes the distribution: the remembered ETag is refused, and the write
    // starts over from a fresh read, keeping their change.
    aws.cloudfront
        .update_distribution_config(&id, |config| {
            config.comment = "changed by hand".into();
            Ok(true)
        })
        .await
        .unwrap();
    s.reset_calls().await;
    aliases.submit(&id, add("d.example.com")).await.unwrap();
    assert_eq!(
        s.statuses("cloudfront:UpdateDistribution").await,
        [412, 200]
    );
    assert_eq!(s.count("cloudfront:GetDistributionConfig").await, 1);
    assert_aliases(&aws, &id, &["b.example.com", "d.example.com"]).await;
    let config = config_of(&aws, &id).await;
    assert_eq!(config.comment, "changed by hand");
}

#[tokio::test]
async fn a_stale_etag_is_read_again_and_the_write_retried() {
    let s = session().await;
    let aws = s.clients().await;
    let id = make_distribution(&aws, "pool", &["a.example.com"]).await;
    // Another writer updates the distribution between our read and our write, once.
    let rival = s.cloudfront_sdk();
    let armed = Arc::new(AtomicBool::new(true));
    let api = Intercepted::new(s.cloudfront_sdk(), move |call| {
        let (rival, armed) = (rival.clone(), armed.clone());
        async move {
            let Call::UpdateDistribution { id } = call else {
                return;
            };
            if armed.swap(false, Ordering::SeqCst) {
                let theirs = CloudFrontApi::get_distribution_config(&rival, &id)
                    .await
                    .unwrap();
                let mut changed = theirs.value;
                changed.comment = "changed by another writer".into();
                CloudFrontApi::update_distribution(&rival, &id, &theirs.etag, changed)
                    .await
                    .unwrap();
            }
        }
        .boxed()
    });
    let aliases = Aliases::new(CloudFront::new(Arc::new(api), fast_options().waits));
    s.reset_calls().await;

    aliases.submit(&id, add("b.example.com")).await.unwrap();
    // Ours: read, refused write (412), read, write. The other writer's: read, write.
    assert_eq!(s.count("cloudfront:GetDistributionConfig").await, 3);
    assert_eq!(
        s.statuses("cloudfront:UpdateDistribution").await,
        vec![200, 412, 200]
    );
    assert_aliases(&aws, &id, &["a.example.com", "b.example.com"]).await;
    assert_eq!(
        config_of(&aws, &id).await.comment,
        "changed by another writer",
        "the other writer's change is kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_of_one_distribution_in_several_processes_all_land() {
    const WRITERS: usize = 8;
    let s = session().await;
    let aws = s.clients().await;
    let id = make_distribution(&aws, "pool", &[]).await;
    let mut writers = Vec::new();
    for _ in 0..WRITERS {
        writers.push(Aliases::new(s.clients().await.cloudfront));
    }
    s.reset_calls().await;

    let hosts: Vec<String> = (0..WRITERS).map(|i| format!("t{i}.example.com")).collect();
    let written = futures::future::join_all(
        writers
            .iter()
            .zip(&hosts)
            .map(|(writer, host)| writer.submit(&id, add(host))),
    )
    .await;
    for outcome in written {
        assert_eq!(
            outcome.expect("every writer succeeds").result,
            AliasResult::Added
        );
    }
    assert_eq!(aliases_of(&aws, &id).await, hosts.iter().cloned().collect());
    // Every attempt is one read and one write; the refused writes are the lost races.
    let updates = s.statuses("cloudfront:UpdateDistribution").await;
    assert_eq!(updates.iter().filter(|s| **s == 200).count(), WRITERS);
    assert!(
        updates.iter().all(|s| *s == 200 || *s == 412),
        "{updates:?}"
    );
    assert_eq!(
        s.count("cloudfront:GetDistributionConfig").await,
        updates.len() as u64 + 1
    );
}

#[tokio::test]
async fn an_alias_taken_by_another_distribution_is_refused_naming_it() {
    let s = session().await;
    let aws = s.clients().await;
    make_distribution(&aws, "pool-1", &["shop.example.com"]).await;
    let other = make_distribution(&aws, "pool-2", &["blog.example.com"]).await;
    let aliases = Aliases::new(aws.cloudfront.clone());

    let err = match aliases.submit(&other, add("shop.example.com")).await {
        Ok(_) => panic!("an alias of another distribution was added"),
        Err(err) => err,
    };
    assert_eq!(err.kind(), ErrorKind::Conflict);
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "UpdateDistribution {other} (alias shop.example.com): CNAMEAlreadyExists: "
        )),
        "{message}"
    );
    assert_aliases(&aws, &other, &["blog.example.com"]).await;
}

#[tokio::test]
async fn a_refused_alias_in_a_merged_write_fails_alone() {
    let s = session().await;
    let aws = s.clients().await;
    make_distribution(&aws, "elsewhere", &["taken.example.com"]).await;
    let id = make_distribution(&aws, "pool", &[]).await;
    // The first write is slow, so that the next requests queue up and share one write.
    let first = Arc::new(AtomicBool::new(true));
    let api = Intercepted::new(s.cloudfront_sdk(), move |_| {
        let slow = first.swap(false, Ordering::SeqCst);
        async move {
            if slow {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
        .boxed()
    });
    let aliases = Arc::new(Aliases::new(CloudFront::new(
        Arc::new(api),
        fast_options().waits,
    )));
    let submit = |host: &str| {
        let (aliases, id, host) = (aliases.clone(), id.clone(), host.to_string());
        tokio::spawn(async move { aliases.submit(&id, add(&host)).await })
    };
    let slow = submit("a.example.com");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let queued: Vec<_> = ["b.example.com", "taken.example.com", "c.example.com"]
        .into_iter()
        .map(submit)
        .collect();
    slow.await.unwrap().expect("the first alias");
    let results: Vec<_> = futures::future::join_all(queued).await;
    let refused: Vec<bool> = results.into_iter().map(|r| r.unwrap().is_err()).collect();
    assert_eq!(
        refused,
        [false, true, false],
        "only the taken alias is refused"
    );
    assert_aliases(
        &aws,
        &id,
        &["a.example.com", "b.example.com", "c.example.com"],
    )
    .await;
}

#[tokio::test]
async fn two_processes_growing_one_slot_make_one_distribution() {
    let s = session().await;
    make_edge(&s, 1, 5).await;
    let (first, second, third) = (account(&s).await, account(&s).await, account(&s).await);
    // Each sees the pool before any grows it.
    let edge = first.distributions.edge(EDGE).await.unwrap();
    second.distributions.edge(EDGE).await.unwrap();
    third.distributions.edge(EDGE).await.unwrap();
    s.reset_calls().await;

    // At once, from the same template: CloudFront answers the repeated creation (same caller
    // reference, same configuration) with the distribution it made.
    let (a, b) = tokio::join!(first.pool.grow(&edge, 1), second.pool.grow(&edge, 1));
    let (a, b) = (a.expect("the first grower"), b.expect("the second grower"));
    assert_eq!(
        a.distribution.id, b.distribution.id,
        "both use the one distribution"
    );

    // Later, after the template changed: the same caller reference with another configuration
    // is refused as DistributionAlreadyExists, and the grower adopts the slot's distribution.
    let sdk = s.cloudfront_sdk();
    let template = edge.members[0].distribution.id.clone();
    let current = CloudFrontApi::get_distribution_config(&sdk, &template)
        .await
        .unwrap();
    let mut changed = current.value;
    changed.price_class = Some(aws_sdk_cloudfront::types::PriceClass::PriceClass100);
    gateway::aws::cloudfront::prepare_for_update(&mut changed);
    CloudFrontApi::update_distribution(&sdk, &template, &current.etag, changed)
        .await
        .unwrap();
    let c = third.pool.grow(&edge, 1).await.expect("the third grower");
    assert_eq!(c.distribution.id, a.distribution.id);
    let created = s.statuses("cloudfront:CreateDistributionWithTags").await;
    assert_eq!(
        created.iter().filter(|s| **s == 409).count(),
        1,
        "{created:?}"
    );
    let fresh = account(&s).await;
    assert_eq!(
        fresh.distributions.edge(EDGE).await.unwrap().members.len(),
        2
    );
}

#[tokio::test]
async fn an_aws_quota_below_the_cap_reads_as_no_room() {
    let s = session().await;
    s.configure(serde_json::json!({"cloudfront_alias_quota": 3}))
        .await;
    let aws = s.clients().await;
    let id = make_distribution(
        &aws,
        "pool",
        &["a.example.com", "b.example.com", "c.example.com"],
    )
    .await;
    let aliases = Aliases::new(aws.cloudfront.clone());

    let outcome = aliases.submit(&id, add("d.example.com")).await.unwrap();
    assert!(
        matches!(outcome.result, AliasResult::NoRoom { .. }),
        "{:?}",
        outcome.result
    );
    assert_eq!(aliases_of(&aws, &id).await.len(), 3);
}

// ---------------------------------------------------------------------------------------------
// The pool
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn concurrent_tenants_share_read_modify_writes() {
    let s = session().await;
    make_edge(&s, 100, 5).await;
    let account = account(&s).await;
    s.reset_calls().await;

    let hosts: Vec<String> = (0..10).map(|i| format!("t{i}.{DOMAIN}")).collect();
    let tasks: Vec<_> = hosts
        .iter()
        .map(|host| {
            let (account, host) = (account.clone(), host.clone());
            tokio::spawn(async move {
                let placed = account.pool.place(EDGE, &host).await.unwrap();
                placed.distribution.id
            })
        })
        .collect();
    let mut ids = BTreeSet::new();
    for task in tasks {
        ids.insert(task.await.unwrap());
    }
    assert_eq!(ids.len(), 1, "one distribution has room for all");

    let updates = s.count("cloudfront:UpdateDistribution").await;
    assert!(
        (1..=3).contains(&updates),
        "10 concurrent adds were merged into {updates} writes"
    );
    // Tenants changed together share one wait: far fewer reads than tenants times polls.
    let polls = s.count("cloudfront:GetDistribution").await;
    assert!(
        polls <= 3 * updates + 3,
        "{polls} GetDistribution for {updates} updates"
    );
    account.distributions.invalidate().await;
    let edge = account.distributions.edge(EDGE).await.unwrap();
    assert_eq!(edge.hosts(), hosts.iter().cloned().collect());
}

#[tokio::test]
async fn two_processes_growing_one_pool_respect_its_cap() {
    let s = session().await;
    make_edge(&s, 50, 5).await;
    let first = account(&s).await;
    let second = account(&s).await;

    let mut tasks = Vec::new();
    for (account, range) in [(first.clone(), 0..60), (second.clone(), 60..120)] {
        for i in range {
            let account = account.clone();
            tasks.push(tokio::spawn(async move {
                let host = format!("p{i}.{DOMAIN}");
                account
                    .pool
                    .place(EDGE, &host)
                    .await
                    .map(|p| p.distribution.id)
            }));
        }
    }
    for task in tasks {
        task.await.unwrap().expect("every tenant is placed");
    }

    let fresh = account(&s).await;
    let edge = fresh.distributions.edge(EDGE).await.unwrap();
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
async fn a_full_pool_refuses_with_a_capacity_error() {
    let s = session().await;
    make_edge(&s, 2, 1).await;
    let account = account(&s).await;
    for i in 0..2 {
        let host = format!("f{i}.{DOMAIN}");
        account.pool.place(EDGE, &host).await.unwrap();
    }
    let err = match account.pool.place(EDGE, &format!("f2.{DOMAIN}")).await {
        Ok(_) => panic!("a third alias fit in a pool of one distribution of two"),
        Err(err) => err,
    };
    assert!(matches!(err, AccountError::Capacity(_)), "{err}");
    assert_eq!(s.count("cloudfront:CreateDistributionWithTags").await, 1);
}

/// The number attribute `name` of a data source's answer.
fn number(value: &Value, name: &str) -> i64 {
    value
        .get(name)
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("{name} in {value:?}"))
}

#[tokio::test]
async fn the_capacity_aws_revealed_is_what_the_data_source_and_the_plan_check_count() {
    let s = session().await;
    // The edge allows five aliases per distribution; AWS accepts three.
    s.configure(serde_json::json!({"cloudfront_alias_quota": 3}))
        .await;
    let record = make_edge(&s, 5, 1).await;
    let account = account(&s).await;
    for i in 0..3 {
        account
            .pool
            .place(EDGE, &format!("q{i}.{DOMAIN}"))
            .await
            .unwrap();
    }
    let refused = account.pool.place(EDGE, &format!("q3.{DOMAIN}")).await;
    assert!(
        matches!(refused, Err(AccountError::Capacity(_))),
        "the fourth alias was placed"
    );

    let ctx = Context {
        cancel: CancellationToken::new(),
        provider_data: Some(account.clone()),
    };
    let mut diags = Diagnostics::new();
    let config = Value::object([("edge_id", Value::from(EDGE))]);
    let read = EdgeCapacityDataSource.read(&ctx, &config, &mut diags).await;
    assert!(diags.is_empty(), "{diags:?}");
    let read = read.expect("the data source answers");
    assert_eq!(number(&read, "tenants"), 3);
    assert_eq!(
        number(&read, "aliases_free"),
        0,
        "the data source counts the lower capacity"
    );
    let Some(Value::List(distributions)) = read.get("distributions") else {
        panic!("distributions in {read:?}");
    };
    assert_eq!(number(&distributions[0], "aliases_free"), 0);

    let edge = account.distributions.edge(EDGE).await.unwrap();
    let room = RuleRoom {
        used: Some(0),
        group_room: 0,
    };
    let capacity = account
        .pool
        .capacity(Some(&edge), &record, room)
        .await
        .unwrap();
    assert_eq!(capacity.aliases_free, 0);
    assert!(
        capacity.admits(&record, 1, 1).is_err(),
        "the plan check refuses one more"
    );
}

// ---------------------------------------------------------------------------------------------
// Listener rules
// ---------------------------------------------------------------------------------------------

fn new_rule(record: &EdgeRecord, tenant: &str, pinned: Option<i64>) -> NewRule {
    NewRule {
        listener_arn: record.listener_arn.clone(),
        hosts: vec![format!("{tenant}.{DOMAIN}")],
        target_group_arn: record.target_group_arn.clone(),
        pinned,
        tags: BTreeMap::from([
            (TAG_EDGE.to_string(), EDGE.to_string()),
            (TAG_TENANT.to_string(), tenant.to_string()),
        ]),
    }
}

#[tokio::test]
async fn rules_take_the_lowest_free_priority_unless_pinned() {
    let s = session().await;
    let record = make_edge(&s, 100, 5).await;
    let account = account(&s).await;
    let rules = &account.rules;

    let first = rules.create(&new_rule(&record, "a", None)).await.unwrap();
    let pinned = rules
        .create(&new_rule(&record, "b", Some(10)))
        .await
        .unwrap();
    let third = rules.create(&new_rule(&record, "c", None)).await.unwrap();
    assert_eq!(
        (first.priority, pinned.priority, third.priority),
        (Some(1), Some(10), Some(2))
    );
    assert!(first.is_managed() && first.belongs_to(EDGE, "a"));
    rules
        .delete(&record.listener_arn, &first.arn)
        .await
        .unwrap();
    let reused = rules.create(&new_rule(&record, "d", None)).await.unwrap();
    assert_eq!(reused.priority, Some(1));
    assert_eq!(
        s.count("elbv2:DescribeRules").await,
        1,
        "the listener is read once"
    );
}

#[tokio::test]
async fn a_condition_added_by_hand_is_drift_that_a_repair_removes() {
    use aws_sdk_elasticloadbalancingv2::types as elb;
    let s = session().await;
    let record = make_edge(&s, 100, 5).await;
    let writer = account(&s).await;
    let made = writer
        .rules
        .create(&new_rule(&record, "a", None))
        .await
        .unwrap();
    let host = format!("a.{DOMAIN}");
    let host_condition = elb::RuleCondition::builder()
        .field("host-header")
        .host_header_config(
            elb::HostHeaderConditionConfig::builder()
                .values(&host)
                .build(),
        )
        .build();
    let path_condition = elb::RuleCondition::builder()
        .field("path-pattern")
        .path_pattern_config(
            elb::PathPatternConditionConfig::builder()
                .values("/x/*")
                .build(),
        )
        .build();
    s.elbv2_sdk()
        .modify_rule()
        .rule_arn(&made.arn)
        .conditions(host_condition)
        .conditions(path_condition)
        .send()
        .await
        .unwrap();
    let reader = account(&s).await;
    let seen = reader
        .rules
        .of_listener(&record.listener_arn)
        .await
        .unwrap();
    let changed = seen.iter().find(|r| r.arn == made.arn).unwrap();
    assert_eq!(changed.extras, ["a path-pattern condition"]);
    assert!(
        !changed.routes(&host, &record.target_group_arn),
        "no longer routes the host alone"
    );
    let repaired = reader
        .rules
        .repair(
            &record.listener_arn,
            changed,
            std::slice::from_ref(&host),
            &record.target_group_arn,
            None,
        )
        .await
        .unwrap();
    assert!(repaired.routes(&host, &record.target_group_arn));
    let fresh = account(&s).await;
    let read = fresh.rules.of_listener(&record.listener_arn).await.unwrap();
    let back = read.iter().find(|r| r.arn == made.arn).unwrap();
    assert!(back.extras.is_empty() && back.routes(&host, &record.target_group_arn));
}

#[tokio::test]
async fn a_priority_taken_meanwhile_is_chosen_again() {
    let s = session().await;
    let record = make_edge(&s, 100, 5).await;
    let first = account(&s).await;
    let first_rule = new_rule(&record, "a", None);
    first.rules.create(&first_rule).await.unwrap();
    // Another run creates a rule on the priority we chose, just before we do, once.
    let thief = s.elbv2_sdk();
    let armed = Arc::new(AtomicBool::new(true));
    let api = Intercepted::new(s.elbv2_sdk(), move |call| {
        let (thief, armed) = (thief.clone(), armed.clone());
        async move {
            let Call::CreateRule {
                listener_arn,
                priority,
                target_group_arn,
            } = call
            else {
                return;
            };
            if armed.swap(false, Ordering::SeqCst) {
                let (conditions, actions) = gateway::aws::elbv2::host_rule_parts(
                    &["thief.example.com".to_string()],
                    &target_group_arn,
                );
                Elbv2Api::create_rule(
                    &thief,
                    &listener_arn,
                    priority,
                    conditions,
                    actions,
                    Vec::new(),
                )
                .await
                .unwrap();
            }
        }
        .boxed()
    });
    let rules = Rules::new(Elbv2::new(Arc::new(api), fast_options().waits));
    s.reset_calls().await;

    let rule = rules.create(&new_rule(&record, "b", None)).await.unwrap();
    assert_eq!(
        rule.priority,
        Some(3),
        "2 was taken between the listing and the creation"
    );
    // Ours: list, refused create, list, create. The thief's: one create.
    assert_eq!(s.count("elbv2:DescribeRules").await, 2);
    assert_eq!(s.statuses("elbv2:CreateRule").await, vec![200, 400, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_rules_of_one_process_never_collide() {
    const TENANTS: usize = 6;
    let s = session().await;
    let record = make_edge(&s, 100, 5).await;
    let account = account(&s).await;
    s.reset_calls().await;

    let tasks: Vec<_> = (0..TENANTS)
        .map(|i| {
            let (account, rule) = (account.clone(), new_rule(&record, &format!("t{i}"), None));
            tokio::spawn(async move { account.rules.create(&rule).await })
        })
        .collect();
    let mut priorities = BTreeSet::new();
    for task in tasks {
        priorities.insert(task.await.unwrap().unwrap().priority.unwrap());
    }
    assert_eq!(priorities, (1..=TENANTS as i64).collect());
    // Priorities reserved for tenants being created are never chosen twice.
    assert_eq!(s.statuses("elbv2:CreateRule").await, vec![200; TENANTS]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_rules_in_several_processes_get_distinct_priorities() {
    const PER_PROCESS: usize = 6;
    let s = session().await;
    let record = make_edge(&s, 100, 5).await;
    let processes = [account(&s).await, account(&s).await];

    let mut tasks = Vec::new();
    for (p, account) in processes.iter().enumerate() {
        for i in 0..PER_PROCESS {
            let (account, rule) = (
                account.clone(),
                new_rule(&record, &format!("t{p}-{i}"), None),
            );
            tasks.push(tokio::spawn(
                async move { account.rules.create(&rule).await },
            ));
        }
    }
    let mut priorities = BTreeSet::new();
    for task in tasks {
        let rule = task.await.unwrap().expect("every tenant gets a rule");
        priorities.insert(rule.priority.unwrap());
    }
    let all = 2 * PER_PROCESS as i64;
    assert_eq!(priorities, (1..=all).collect());
    let created = s.statuses("elbv2:CreateRule").await;
    assert_eq!(
        created.iter().filter(|s| **s == 200).count(),
        2 * PER_PROCESS
    );
}

#[tokio::test]
async fn a_pinned_priority_in_use_is_refused_without_a_retry() {
    let s = session().await;
    let record = make_edge(&s, 100, 5).await;
    let account = account(&s).await;
    let first_rule = new_rule(&record, "a", Some(5));
    account.rules.create(&first_rule).await.unwrap();
    s.reset_calls().await;

    let err = account
        .rules
        .create(&new_rule(&record, "b", Some(5)))
        .await
        .unwrap_err();
    let AccountError::Aws(err) = err else {
        panic!("{err}")
    };
    assert_eq!(err.code(), Some("PriorityInUse"));
    assert_eq!(s.count("elbv2:CreateRule").await, 1);
}

#[tokio::test]
async fn rules_are_counted_over_every_listener_of_the_load_balancer() {
    use aws_sdk_elasticloadbalancingv2::types as elb;
    let s = session().await;
    let account = account(&s).await;
    let alb = s.make_alb(EDGE).await;
    let (listener, target_group) = (&alb.listener_arn, &alb.target_group_arn);
    let sdk = s.elbv2_sdk();
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

    let used = || async {
        account
            .rules
            .load_balancer_rules_used(listener)
            .await
            .unwrap()
    };
    assert_eq!(used().await, Some(2));
    let rule = NewRule {
        listener_arn: listener.clone(),
        hosts: vec![format!("counted.{DOMAIN}")],
        target_group_arn: target_group.clone(),
        pinned: None,
        tags: BTreeMap::new(),
    };
    account.rules.create(&rule).await.unwrap();
    // The provider's own rule is counted from the patched cache, without reading again.
    s.reset_calls().await;
    assert_eq!(used().await, Some(3));
    assert_eq!(s.calls().await.values().sum::<u64>(), 0);

    let missing = listener.replace("listener/app", "listener/app-gone");
    let fresh = self::account(&s).await;
    assert_eq!(
        fresh
            .rules
            .load_balancer_rules_used(&missing)
            .await
            .unwrap(),
        None
    );
}

// ---------------------------------------------------------------------------------------------
// Requests AWS carried out whose answers were lost
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_retried_request_that_already_took_effect_is_not_made_twice() {
    let s = session().await;
    let record = make_edge(&s, 100, 5).await;
    let account = account(&s).await;
    let host = format!("lost.{DOMAIN}");
    let (listener, zone) = (&record.listener_arn, &record.hosted_zone_id);
    s.reset_calls().await;

    // Each first answer is lost after AWS made the change; the SDK retries the request.
    s.lose_responses("cloudfront:UpdateDistribution", 1).await;
    let placed = account
        .pool
        .place(EDGE, &host)
        .await
        .expect("the alias is in place after the retry");

    s.lose_responses("elbv2:CreateRule", 1).await;
    let rule = account
        .rules
        .create(&new_rule(&record, "lost", None))
        .await
        .expect("the rule made by the first attempt is adopted");

    s.lose_responses("route53:ChangeResourceRecordSets", 1)
        .await;
    let domain = &placed.distribution.domain_name;
    account
        .records
        .create(zone, &host, domain, true, &[])
        .await
        .expect("the records made by the first attempt are recognised");

    // Each request did reach AWS twice, and AWS holds each object once.
    for op in [
        "cloudfront:UpdateDistribution",
        "elbv2:CreateRule",
        "route53:ChangeResourceRecordSets",
    ] {
        assert_eq!(s.statuses(op).await.first(), Some(&500), "{op}");
        assert!(s.count(op).await >= 2, "{op} was not retried");
    }
    let fresh = self::account(&s).await;
    let edge = fresh.distributions.edge(EDGE).await.unwrap();
    assert_eq!(edge.hosts(), BTreeSet::from([host.clone()]));
    let rules = fresh.rules.of_listener(listener).await.unwrap();
    let for_host: Vec<_> = rules.iter().filter(|r| r.hosts == [host.clone()]).collect();
    assert_eq!(for_host.len(), 1, "{rules:?}");
    assert_eq!(for_host[0].arn, rule.arn);
    let records = fresh.records.of_host(zone, &host).await.unwrap();
    let types = gateway::domain::tenant::types_pointing_at(&records.infos, domain);
    assert_eq!(types, ["A", "AAAA"]);
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

/// Creates the alias records of `t{i}.DOMAIN` for each `i` at once; answers the hosts created
/// and the indexes refused with their errors.
async fn create_records_together(
    account: &Arc<Account>,
    zone: &str,
    domain: &str,
    count: usize,
) -> (Vec<String>, Vec<(usize, String)>) {
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let (account, zone, domain) = (account.clone(), zone.to_string(), domain.to_string());
            tokio::spawn(async move {
                let host = format!("t{i}.{DOMAIN}");
                account
                    .records
                    .create(&zone, &host, &domain, true, &[])
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

async fn assert_aliased(account: &Account, zone: &str, hosts: &[String], domain: &str) {
    for host in hosts {
        let records = account.records.of_host(zone, host).await.unwrap();
        let types = gateway::domain::tenant::types_pointing_at(&records.infos, domain);
        assert_eq!(types, ["A", "AAAA"], "{host}");
    }
}

const POOL_DOMAIN: &str = "d111111abcdef8.cloudfront.net";

#[tokio::test]
async fn record_changes_made_together_share_calls_and_waits() {
    let s = session().await;
    s.configure(serde_json::json!({"route53_pending_reads": 2}))
        .await;
    let zone = s.make_zone(DOMAIN).await;
    let account = account(&s).await;
    s.reset_calls().await;

    let (mut created, refused) = create_records_together(&account, &zone, POOL_DOMAIN, 10).await;
    assert_eq!(created.len(), 10, "{refused:?}");
    let writes = s.count("route53:ChangeResourceRecordSets").await;
    assert!(
        writes <= 3,
        "{writes} ChangeResourceRecordSets for 10 tenants"
    );
    // A later tenant's change, on its own.
    let late = format!("late.{DOMAIN}");
    account
        .records
        .create(&zone, &late, POOL_DOMAIN, true, &[])
        .await
        .unwrap();
    created.push(late);
    assert_eq!(
        s.count("route53:GetChange").await,
        0,
        "a tenant does not wait for its change"
    );
    // One wait for the whole zone: Route53 applies a zone's changes in order, so the newest
    // change in sync answers for the older ones. Polling each would be 3 reads a change (two
    // PENDING, then INSYNC).
    account
        .records
        .await_in_sync(&zone, &deadline())
        .await
        .unwrap();
    let polls = s.count("route53:GetChange").await;
    assert_eq!(polls, 3, "GetChange for {} changes", writes + 1);
    account
        .records
        .await_in_sync(&zone, &deadline())
        .await
        .unwrap();
    assert_eq!(
        s.count("route53:GetChange").await,
        polls,
        "what was seen in sync is not asked again"
    );
    assert_aliased(&*self::account(&s).await, &zone, &created, POOL_DOMAIN).await;
}

#[tokio::test]
async fn a_refused_change_in_a_merged_call_fails_its_tenant_alone() {
    use aws_sdk_route53::types as r53;
    let s = session().await;
    let zone = s.make_zone(DOMAIN).await;
    let account = account(&s).await;
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
    s.route53_sdk()
        .change_resource_record_sets()
        .hosted_zone_id(&zone)
        .change_batch(r53::ChangeBatch::builder().changes(change).build().unwrap())
        .send()
        .await
        .unwrap();

    let (created, refused) = create_records_together(&account, &zone, POOL_DOMAIN, 10).await;
    assert_eq!(created.len(), 9, "{refused:?}");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].0, 3, "{refused:?}");
    assert!(refused[0].1.contains("already exists"), "{refused:?}");
    let fresh = self::account(&s).await;
    assert_aliased(&fresh, &zone, &created, POOL_DOMAIN).await;
    let records = fresh.records.of_host(&zone, &taken).await.unwrap();
    assert_eq!(records.sets.len(), 1, "the foreign record is untouched");
    assert_eq!(records.sets[0].resource_records, foreign.resource_records);
}

/// The grouped rules state `claim` writes on the edge's listener.
fn state_group(record: &EdgeRecord, claim: &str) -> Group {
    Group {
        listener_arn: record.listener_arn.clone(),
        edge: EDGE.into(),
        claim: claim.into(),
        target_group_arn: record.target_group_arn.clone(),
        tags: BTreeMap::new(),
    }
}

/// Joins `host` to `claim`'s groups, then serves it (an A alias record), as a tenant's
/// create does; or stops serving it, then takes it out, as a tenant's delete does.
async fn tenant_step(
    account: Arc<Account>,
    record: EdgeRecord,
    claim: String,
    host: String,
    join: bool,
    pool_domain: String,
) {
    let group = state_group(&record, &claim);
    let zone = &record.hosted_zone_id;
    if join {
        let rule = account.rules.join(&group, &host, None).await.expect("join");
        assert!(rule.hosts.contains(&host) && rule.claim() == Some(claim.as_str()));
        account
            .records
            .create(zone, &host, &pool_domain, false, &[])
            .await
            .expect("records");
    } else {
        let records = account.records.of_host(zone, &host).await.expect("records");
        account
            .records
            .delete(zone, &records.cloudfront_aliases())
            .await
            .expect("delete records");
        account.rules.leave(&group, &host).await.expect("leave");
    }
}

/// Three states, each its own process, join twelve hosts each to their groups at once, while
/// the answers of CreateRule and ModifyRule are lost (AWS made the change, the SDK retries
/// it); each host is served once joined. Then every state removes half its hosts (records
/// first) while joining six more. At no point is a served host matched by no rule; then every
/// host of a state is in exactly one rule, of that state's, the removed ones in none, and the
/// rules are as few as five hosts a rule allows. Last, every host leaves while DeleteRule's
/// answers are lost, and no group is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grouped_rules_of_several_states_never_leave_a_served_host_without_a_rule() {
    const STATES: usize = 3;
    let s = session().await;
    let record = EdgeRecord {
        rule_layout: RuleLayout::Grouped,
        ..make_edge(&s, 100, 5).await
    };
    let mut states: Vec<(String, Arc<Account>)> = Vec::new();
    for i in 0..STATES {
        states.push((format!("state-{i}"), account(&s).await));
    }
    let pool_domain = states[0].1.distributions.edge(EDGE).await.unwrap().members[0]
        .distribution
        .domain_name
        .clone();
    for (op, count) in [("elbv2:CreateRule", 2), ("elbv2:ModifyRule", 3)] {
        s.lose_responses(op, count).await;
    }
    let host = |state: usize, n: usize| format!("s{state}-h{n}.{DOMAIN}");
    let run = |steps: Vec<(usize, usize, bool)>| {
        let tasks: Vec<_> = steps
            .into_iter()
            .map(|(state, n, join)| {
                let (claim, account) = states[state].clone();
                tokio::spawn(tenant_step(
                    account,
                    record.clone(),
                    claim,
                    host(state, n),
                    join,
                    pool_domain.clone(),
                ))
            })
            .collect();
        async move {
            for task in tasks {
                task.await.expect("a tenant step");
            }
        }
    };
    run((0..STATES)
        .flat_map(|st| (0..12).map(move |n| (st, n, true)))
        .collect())
    .await;
    run((0..STATES)
        .flat_map(|st| {
            (0..6)
                .map(move |n| (st, n, false))
                .chain((12..18).map(move |n| (st, n, true)))
        })
        .collect())
    .await;

    assert_eq!(
        s.uncovered().await,
        Vec::<String>::new(),
        "a served host lost its rule"
    );
    let rules = states[0]
        .1
        .aws
        .elbv2
        .list_rules(&record.listener_arn)
        .await
        .unwrap();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_state = BTreeMap::new();
    for rule in rules.iter().filter(|r| r.priority().is_some()) {
        let claim = rule
            .tags
            .get("gateway:claim")
            .cloned()
            .expect("a claim on every group");
        let hosts = rule.hosts();
        assert!(hosts.len() <= 5, "{hosts:?}");
        for h in &hosts {
            let state = &h[1..2];
            assert_eq!(
                format!("state-{state}"),
                claim,
                "{h} is in another state's group"
            );
            *seen.entry(h.clone()).or_default() += 1;
        }
        *per_state.entry(claim).or_insert(0) += 1;
    }
    for st in 0..STATES {
        for n in 0..18 {
            let times = seen.get(&host(st, n)).copied().unwrap_or_default();
            assert_eq!(
                times,
                usize::from(n >= 6),
                "{} in {times} rules",
                host(st, n)
            );
        }
        // Twelve hosts a state at the end: three rules, or one more where a leave and a join
        // met in different batches.
        let rules = per_state[&format!("state-{st}")];
        assert!((3..=4).contains(&rules), "state {st} has {rules} rules");
    }
    assert_eq!(
        s.armed_faults().await,
        serde_json::json!([]),
        "every lost answer happened"
    );

    // Whether the second round deleted a rule depends on how its steps met in batches; the
    // last one, every host leaving, deletes every group, so its lost answers surely happen.
    s.lose_responses("elbv2:DeleteRule", 2).await;
    run((0..STATES)
        .flat_map(|st| (6..18).map(move |n| (st, n, false)))
        .collect())
    .await;
    assert_eq!(
        s.uncovered().await,
        Vec::<String>::new(),
        "a served host lost its rule"
    );
    let left: Vec<_> = states[0]
        .1
        .aws
        .elbv2
        .list_rules(&record.listener_arn)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.tags.contains_key("gateway:claim"))
        .map(|r| r.hosts())
        .collect();
    assert_eq!(
        left,
        Vec::<Vec<String>>::new(),
        "groups outlived their hosts"
    );
    assert_eq!(
        s.armed_faults().await,
        serde_json::json!([]),
        "every lost delete happened"
    );
}
