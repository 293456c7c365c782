//! The AWS layer against the honest emulator (moto plus the rules AWS enforces): every
//! conflict, quota and not-found path the provider relies on, with the AWS calls counted
//! where the design promises a number. What the account layer builds on these (merged alias
//! writes, the choice of a free priority, merged record changes) is tested in `account.rs`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use aws_sdk_cloudfront::types as cf;
use aws_sdk_elasticloadbalancingv2::types as elb;
use aws_sdk_route53::types::{ChangeAction, ChangeStatus, ResourceRecordSet, RrType};
use common::emulator::{
    cache_policy_config, distribution_config, fast_options, session, Alb, Fault, ACCOUNT_ID,
    CACHING_OPTIMIZED, PROFILE_WITHOUT_REGION, REGION, SECRET_ACCESS_KEY,
};
use gateway::aws::clients::AssumeRole;
use gateway::aws::cloudfront::{
    to_aliases, DistributionUpdate, Versioned, ETAG_CONFLICT_MAX_ATTEMPTS,
};
use gateway::aws::elbv2::{rule_hosts, HostRule, ListenerRule};
use gateway::aws::route53::cloudfront_alias_changes;
use gateway::aws::{AwsClients, AwsError, CloudFront, Deadline, ErrorKind};
use tokio_util::sync::CancellationToken;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn aliases_of(config: &cf::DistributionConfig) -> Vec<String> {
    config
        .aliases
        .as_ref()
        .and_then(|a| a.items.clone())
        .unwrap_or_default()
}

/// A deadline `timeout` from now, ended early by `cancel`.
fn deadline(timeout: Duration, cancel: &CancellationToken) -> Deadline {
    Deadline::after(timeout, cancel.clone(), "timeouts.create")
}

/// Replaces a distribution's aliases by read-modify-write.
async fn set_aliases(
    cloudfront: &CloudFront,
    id: &str,
    aliases: &[&str],
) -> Result<DistributionUpdate, AwsError> {
    let aliases = strings(aliases);
    cloudfront
        .update_distribution_config(id, |config| {
            config.aliases = Some(to_aliases(aliases.clone())?);
            Ok(true)
        })
        .await
}

/// The A and AAAA records of `host` in the zone.
async fn address_records(aws: &AwsClients, zone: &str, host: &str) -> Vec<ResourceRecordSet> {
    let name = format!("{}.", host.trim_end_matches('.').to_ascii_lowercase());
    let records = aws.route53.list_records(zone).await.unwrap();
    records
        .into_iter()
        .filter(|r| r.name == name && matches!(r.r#type, RrType::A | RrType::Aaaa))
        .collect()
}

/// The listener's rule `arn` with its tags, if it exists.
async fn rule_by_arn(aws: &AwsClients, listener: &str, arn: &str) -> Option<ListenerRule> {
    let rules = aws.elbv2.list_rules(listener).await.unwrap();
    rules.into_iter().find(|r| r.arn() == arn)
}

async fn create_distribution(
    aws: &AwsClients,
    reference: &str,
    aliases: &[&str],
) -> Versioned<cf::Distribution> {
    aws.cloudfront
        .create_distribution(distribution_config(reference, aliases), &BTreeMap::new())
        .await
        .expect("CreateDistributionWithTags")
}

// ---------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn connecting_without_validation_makes_no_call() {
    let s = session().await;
    let aws = s.clients().await;
    assert_eq!(aws.region(), REGION, "the region comes from the profile");
    assert_eq!(aws.global_region(), "us-east-1");
    assert!(aws.caller().is_none());
    assert_eq!(s.calls().await, BTreeMap::new());

    // The profile's credentials are resolved at the first call.
    assert!(aws
        .cloudfront
        .find_distribution_config_by_id("EDOESNOTEXIST")
        .await
        .unwrap()
        .is_none());
    assert_eq!(s.count("cloudfront:GetDistributionConfig").await, 1);
}

#[tokio::test]
async fn credentials_are_validated_with_one_sts_call() {
    let s = session().await;
    let mut config = s.provider_config();
    config.skip_credentials_validation = false;
    let aws = AwsClients::connect_with(&config, &fast_options(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(aws.caller().unwrap().account_id, ACCOUNT_ID);
    assert_eq!(
        s.calls().await,
        BTreeMap::from([("sts:GetCallerIdentity".to_string(), 1)])
    );
    let printed = format!("{aws:?} {:?} {:?}", aws.cloudfront, config);
    assert!(!printed.contains(SECRET_ACCESS_KEY), "{printed}");
}

#[tokio::test]
async fn an_assumed_role_signs_every_call() {
    let s = session().await;
    let mut config = s.provider_config();
    config.skip_credentials_validation = false;
    config.assume_role = Some(AssumeRole {
        role_arn: format!("arn:aws:iam::{ACCOUNT_ID}:role/deployer"),
        session_name: Some("gateway-tests".into()),
        external_id: Some("tenant-edge".into()),
        duration: Some(Duration::from_secs(3600)),
    });
    let aws = AwsClients::connect_with(&config, &fast_options(), &CancellationToken::new())
        .await
        .unwrap();
    let caller = aws.caller().unwrap();
    assert!(
        caller.arn.contains("assumed-role/deployer/gateway-tests"),
        "{}",
        caller.arn
    );
    assert_eq!(
        s.calls().await,
        BTreeMap::from([
            ("sts:AssumeRole".to_string(), 1),
            ("sts:GetCallerIdentity".to_string(), 1)
        ])
    );
    // The assumed credentials are cached for the other services.
    aws.route53
        .find_hosted_zone_by_id("ZDOESNOTEXIST")
        .await
        .unwrap();
    assert_eq!(s.count("sts:AssumeRole").await, 1);
}

#[tokio::test]
async fn without_a_region_connecting_fails_clearly() {
    let s = session().await;
    let mut config = s.provider_config();
    config.profile = Some(PROFILE_WITHOUT_REGION.into());
    let err = AwsClients::connect_with(&config, &fast_options(), &CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("no AWS region is configured"),
        "{err}"
    );
    assert_eq!(s.calls().await, BTreeMap::new());

    config.region = Some("ap-southeast-2".into());
    let aws = AwsClients::connect_with(&config, &fast_options(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(aws.region(), "ap-southeast-2");
    assert_eq!(aws.global_region(), "us-east-1");
}

#[tokio::test]
async fn a_cancelled_validation_reports_cancelled() {
    let s = session().await;
    let mut config = s.provider_config();
    config.skip_credentials_validation = false;
    let cancel = CancellationToken::new();
    cancel.cancel();
    let err = AwsClients::connect_with(&config, &fast_options(), &cancel)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
}

#[tokio::test]
async fn without_credentials_the_first_call_fails_fast_and_reaches_nothing() {
    const CREDENTIAL_VARIABLES: &[&str] = &[
        "AWS_ACCESS_KEY_ID",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ];
    if let Some(var) = CREDENTIAL_VARIABLES
        .iter()
        .find(|v| std::env::var_os(v).is_some())
    {
        eprintln!("skipped: {var} provides credentials in this environment");
        return;
    }
    let s = session().await;
    let mut config = s.provider_config();
    config.profile = Some("gateway-profile-that-does-not-exist".into());
    config.region = Some(REGION.into());
    let aws = AwsClients::connect_with(&config, &fast_options(), &CancellationToken::new())
        .await
        .unwrap();

    let started = Instant::now();
    let result = aws
        .cloudfront
        .find_distribution_config_by_id("EDOESNOTEXIST")
        .await;
    // The instance metadata service, last in the chain, gets one short attempt.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    match result {
        Err(err) => {
            assert_eq!(err.kind(), ErrorKind::AccessDenied, "{err}");
            let message = err.to_string();
            assert!(message.contains("loading credentials"), "{message}");
            assert!(!message.contains("Response {"), "no debug dump: {message}");
            assert_eq!(
                s.calls().await,
                BTreeMap::new(),
                "an unsigned request was sent"
            );
        }
        // On an EC2 instance with a role, the metadata service answers.
        Ok(_) => eprintln!("credentials came from the instance metadata service"),
    }
}

// ---------------------------------------------------------------------------------------------
// Finders
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn finders_return_none_for_missing_objects() {
    let s = session().await;
    let aws = s.clients().await;
    let alb = s.make_alb("edge").await;
    let gone = |arn: &str, kind: &str| {
        arn.rsplit_once('/')
            .map(|(head, _)| format!("{head}/0123456789abcdef"))
            .unwrap_or_else(|| panic!("{kind} ARN {arn}"))
    };

    assert!(aws
        .cloudfront
        .find_distribution_config_by_id("EDOESNOTEXIST")
        .await
        .unwrap()
        .is_none());
    assert!(aws
        .cloudfront
        .find_cache_policy_by_id("00000000-0000-0000-0000-000000000000")
        .await
        .unwrap()
        .is_none());
    assert!(aws
        .cloudfront
        .find_origin_request_policy_by_id("00000000-0000-0000-0000-000000000000")
        .await
        .unwrap()
        .is_none());
    assert!(aws
        .route53
        .find_hosted_zone_by_id("/hostedzone/ZDOESNOTEXIST")
        .await
        .unwrap()
        .is_none());
    assert!(aws
        .elbv2
        .find_listener_by_arn(&gone(&alb.listener_arn, "listener"))
        .await
        .unwrap()
        .is_none());
    assert!(aws
        .elbv2
        .find_load_balancer_by_arn(&gone(&alb.load_balancer_arn, "load balancer"))
        .await
        .unwrap()
        .is_none());
    assert!(aws
        .elbv2
        .find_target_group_by_arn(&gone(&alb.target_group_arn, "target group"))
        .await
        .unwrap()
        .is_none());

    // and find what exists
    let listener = aws
        .elbv2
        .find_listener_by_arn(&alb.listener_arn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        listener.load_balancer_arn.as_deref(),
        Some(alb.load_balancer_arn.as_str())
    );
    assert!(aws
        .elbv2
        .find_load_balancer_by_arn(&alb.load_balancer_arn)
        .await
        .unwrap()
        .is_some());
    assert!(aws
        .elbv2
        .find_target_group_by_arn(&alb.target_group_arn)
        .await
        .unwrap()
        .is_some());
    assert!(aws
        .cloudfront
        .find_cache_policy_by_id(CACHING_OPTIMIZED)
        .await
        .unwrap()
        .is_some());
}

// ---------------------------------------------------------------------------------------------
// CloudFront
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn distributions_are_created_with_tags_found_and_listed() {
    let s = session().await;
    let aws = s.clients().await;
    let tags = BTreeMap::from([("gateway:edge".to_string(), "main".to_string())]);
    let created = aws
        .cloudfront
        .create_distribution(distribution_config("pool-1", &["a.example.com"]), &tags)
        .await
        .unwrap();
    assert_eq!(s.count("cloudfront:CreateDistributionWithTags").await, 1);
    let id = created.value.id.clone();

    let config = aws
        .cloudfront
        .find_distribution_config_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(config.etag, created.etag);
    assert_eq!(config.value.caller_reference, "pool-1");
    assert_eq!(aliases_of(&config.value), strings(&["a.example.com"]));

    create_distribution(&aws, "pool-2", &[]).await;
    let summaries = aws.cloudfront.list_distribution_summaries().await.unwrap();
    assert_eq!(summaries.len(), 2);
    let summary = summaries.iter().find(|d| d.id == id).unwrap();
    assert_eq!(summary.comment, "gateway pool pool-1");
    assert_eq!(
        summary.aliases.as_ref().unwrap().items.clone().unwrap(),
        strings(&["a.example.com"])
    );

    let arn = &created.value.arn;
    assert_eq!(aws.cloudfront.list_tags(arn).await.unwrap(), tags);
    aws.cloudfront
        .tag_resource(
            arn,
            &BTreeMap::from([("team".to_string(), "edge".to_string())]),
        )
        .await
        .unwrap();
    aws.cloudfront
        .untag_resource(arn, &strings(&["gateway:edge"]))
        .await
        .unwrap();
    assert_eq!(
        aws.cloudfront.list_tags(arn).await.unwrap(),
        BTreeMap::from([("team".to_string(), "edge".to_string())])
    );
}

#[tokio::test]
async fn distribution_summaries_are_read_page_by_page() {
    const DISTRIBUTIONS: usize = 101;
    let s = session().await;
    let aws = s.clients().await;
    for i in 0..DISTRIBUTIONS {
        create_distribution(&aws, &format!("pool-{i:03}"), &[]).await;
    }
    s.reset_calls().await;

    let summaries = aws.cloudfront.list_distribution_summaries().await.unwrap();
    let references: BTreeSet<String> = summaries.iter().map(|d| d.comment.clone()).collect();
    assert_eq!(references.len(), DISTRIBUTIONS);
    assert_eq!(
        s.count("cloudfront:ListDistributions").await,
        2,
        "pages of {}",
        gateway::aws::cloudfront::DISTRIBUTIONS_PAGE_SIZE
    );
}

#[tokio::test]
async fn a_read_modify_write_reads_once_writes_once_and_skips_what_changes_nothing() {
    let s = session().await;
    let aws = s.clients().await;
    let created = create_distribution(&aws, "pool", &["a.example.com"]).await;
    let id = &created.value.id;
    s.reset_calls().await;

    let update = set_aliases(&aws.cloudfront, id, &["a.example.com", "b.example.com"])
        .await
        .unwrap();
    assert!(update.changed);
    assert_eq!(update.attempts, 1);
    assert_eq!(update.status.as_deref(), Some("InProgress"));
    assert_ne!(update.etag, created.etag, "every update changes the ETag");
    assert_eq!(
        aliases_of(&update.config),
        strings(&["a.example.com", "b.example.com"])
    );
    assert_eq!(s.count("cloudfront:GetDistributionConfig").await, 1);
    assert_eq!(s.count("cloudfront:UpdateDistribution").await, 1);

    let unchanged = aws
        .cloudfront
        .update_distribution_config(id, |_| Ok(false))
        .await
        .unwrap();
    assert!(!unchanged.changed);
    assert_eq!(unchanged.etag, update.etag);
    assert_eq!(s.count("cloudfront:GetDistributionConfig").await, 2);
    assert_eq!(s.count("cloudfront:UpdateDistribution").await, 1);
}

#[tokio::test]
async fn etag_conflicts_end_after_the_bounded_number_of_attempts() {
    let s = session().await;
    let aws = s.clients().await;
    let created = create_distribution(&aws, "pool", &[]).await;
    s.reset_calls().await;
    s.fault(Fault {
        operation: "cloudfront:UpdateDistribution",
        code: "PreconditionFailed",
        status: 412,
        count: 100,
    })
    .await;

    let err = set_aliases(&aws.cloudfront, &created.value.id, &["a.example.com"])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
    assert_eq!(err.code(), Some("PreconditionFailed"));
    let max = u64::from(ETAG_CONFLICT_MAX_ATTEMPTS);
    assert_eq!(s.count("cloudfront:GetDistributionConfig").await, max);
    assert_eq!(s.count("cloudfront:UpdateDistribution").await, max);
}

#[tokio::test]
async fn an_alias_on_another_distribution_is_a_conflict() {
    let s = session().await;
    let aws = s.clients().await;
    create_distribution(&aws, "pool-1", &["shop.example.com"]).await;
    let other = create_distribution(&aws, "pool-2", &["blog.example.com"]).await;
    s.reset_calls().await;

    let err = set_aliases(
        &aws.cloudfront,
        &other.value.id,
        &["blog.example.com", "shop.example.com"],
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.code(), Some("CNAMEAlreadyExists"));
    assert!(err.request_id().is_some());
    assert_eq!(
        s.count("cloudfront:UpdateDistribution").await,
        1,
        "a conflict is not retried"
    );
    let stored = aws
        .cloudfront
        .find_distribution_config_by_id(&other.value.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(aliases_of(&stored.value), strings(&["blog.example.com"]));
}

#[tokio::test]
async fn the_alias_quota_is_a_quota_error() {
    let s = session().await;
    s.configure(serde_json::json!({"cloudfront_alias_quota": 3}))
        .await;
    let aws = s.clients().await;
    let created = create_distribution(
        &aws,
        "pool",
        &["a.example.com", "b.example.com", "c.example.com"],
    )
    .await;
    let id = &created.value.id;

    let four = [
        "a.example.com",
        "b.example.com",
        "c.example.com",
        "d.example.com",
    ];
    let err = set_aliases(&aws.cloudfront, id, &four).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Quota);
    assert_eq!(err.code(), Some("TooManyDistributionCNAMEs"));
    // swapping one alias for another stays within the quota
    set_aliases(&aws.cloudfront, id, &four[1..]).await.unwrap();
}

#[tokio::test]
async fn an_enabled_distribution_is_deleted_only_once_disabled_and_deployed() {
    let s = session().await;
    let aws = s.clients().await;
    let created = create_distribution(&aws, "pool", &["a.example.com"]).await;
    let id = &created.value.id;
    let cancel = CancellationToken::new();

    let err = aws
        .cloudfront
        .delete_distribution(id, &created.etag)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.code(), Some("DistributionNotDisabled"));

    let disabled = aws.cloudfront.disable_distribution(id).await.unwrap();
    assert!(disabled.changed && !disabled.config.enabled);
    assert!(
        !aws.cloudfront
            .disable_distribution(id)
            .await
            .unwrap()
            .changed
    );
    let deployed = aws
        .cloudfront
        .wait_distribution_deployed(id, &deadline(Duration::from_secs(10), &cancel))
        .await
        .unwrap();
    assert_eq!(deployed.value.status, "Deployed");

    aws.cloudfront
        .delete_distribution(id, &deployed.etag)
        .await
        .unwrap();
    assert!(aws
        .cloudfront
        .find_distribution_config_by_id(id)
        .await
        .unwrap()
        .is_none());
    // already gone is success
    aws.cloudfront
        .delete_distribution(id, &deployed.etag)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_deployed_waiter_reads_until_deployed() {
    let s = session().await;
    s.configure(serde_json::json!({"cloudfront_deploy_reads": 3}))
        .await;
    let aws = s.clients().await;
    let created = create_distribution(&aws, "pool", &[]).await;
    s.reset_calls().await;

    let deployed = aws
        .cloudfront
        .wait_distribution_deployed(
            &created.value.id,
            &deadline(Duration::from_secs(10), &CancellationToken::new()),
        )
        .await
        .unwrap();
    assert_eq!(deployed.value.status, "Deployed");
    assert_eq!(
        s.count("cloudfront:GetDistribution").await,
        4,
        "three reads InProgress, then Deployed"
    );
}

#[tokio::test]
async fn waiters_time_out_and_stop_when_cancelled() {
    let s = session().await;
    s.configure(serde_json::json!({"cloudfront_deploy_reads": 1_000_000, "route53_pending_reads": 1_000_000}))
        .await;
    let aws = s.clients().await;
    let created = create_distribution(&aws, "pool", &[]).await;
    let zone = s.make_zone("example.com").await;
    let change = aws
        .route53
        .change_records(
            &zone,
            &[cloudfront_alias_changes(
                ChangeAction::Create,
                "a.example.com",
                &created.value.domain_name,
                true,
            )
            .unwrap()],
        )
        .await
        .unwrap()
        .remove(0);

    let err = aws
        .cloudfront
        .wait_distribution_deployed(
            &created.value.id,
            &deadline(Duration::from_millis(150), &CancellationToken::new()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(
        err.to_string().contains("(last status InProgress)")
            && err.to_string().contains("(timeouts.create)"),
        "{err}"
    );

    let err = aws
        .route53
        .wait_change_insync(
            &change.id,
            &deadline(Duration::from_millis(150), &CancellationToken::new()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.to_string().contains("(last status PENDING)"), "{err}");

    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let err = aws
        .cloudfront
        .wait_distribution_deployed(
            &created.value.id,
            &deadline(Duration::from_secs(600), &cancel),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(5));
    let err = aws
        .route53
        .wait_change_insync(&change.id, &deadline(Duration::from_secs(600), &cancel))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
}

#[tokio::test]
async fn an_update_with_a_stale_etag_is_precondition_failed() {
    let s = session().await;
    let aws = s.clients().await;
    let created = create_distribution(&aws, "pool", &[]).await;
    let id = &created.value.id;
    set_aliases(&aws.cloudfront, id, &["a.example.com"])
        .await
        .unwrap();

    let err = aws
        .cloudfront
        .update_distribution(id, &created.etag, distribution_config("pool", &[]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("UpdateDistribution {id}: PreconditionFailed: ")),
        "{message}"
    );
    assert!(
        message.ends_with(&format!("(request id {})", err.request_id().unwrap())),
        "{message}"
    );
}

fn origin_request_policy(name: &str) -> cf::OriginRequestPolicyConfig {
    cf::OriginRequestPolicyConfig::builder()
        .name(name)
        .headers_config(
            cf::OriginRequestPolicyHeadersConfig::builder()
                .header_behavior(cf::OriginRequestPolicyHeaderBehavior::AllViewer)
                .build()
                .unwrap(),
        )
        .cookies_config(
            cf::OriginRequestPolicyCookiesConfig::builder()
                .cookie_behavior(cf::OriginRequestPolicyCookieBehavior::All)
                .build()
                .unwrap(),
        )
        .query_strings_config(
            cf::OriginRequestPolicyQueryStringsConfig::builder()
                .query_string_behavior(cf::OriginRequestPolicyQueryStringBehavior::All)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn cache_policies_have_etags_and_cannot_be_deleted_while_used() {
    let s = session().await;
    let aws = s.clients().await;
    let created = aws
        .cloudfront
        .create_cache_policy(cache_policy_config("gateway-tenants", 0, &[]))
        .await
        .unwrap();
    let id = created.value.id.clone();

    let found = aws
        .cloudfront
        .find_cache_policy_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.etag, created.etag);
    let listed = |kind: Option<cf::CachePolicyType>| {
        let sdk = s.cloudfront_sdk();
        async move {
            let list = sdk
                .list_cache_policies()
                .set_type(kind)
                .send()
                .await
                .unwrap();
            let items = list.cache_policy_list.unwrap().items.unwrap_or_default();
            items
                .into_iter()
                .filter_map(|p| p.cache_policy.map(|p| p.id))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        listed(Some(cf::CachePolicyType::Custom)).await,
        vec![id.clone()]
    );
    let all = listed(None).await;
    assert!(all.iter().any(|p| p == CACHING_OPTIMIZED) && all.contains(&id));

    let updated = aws
        .cloudfront
        .update_cache_policy(
            &id,
            &created.etag,
            cache_policy_config("gateway-tenants", 1, &[]),
        )
        .await
        .unwrap();
    assert_ne!(updated.etag, created.etag);
    let err = aws
        .cloudfront
        .update_cache_policy(
            &id,
            &created.etag,
            cache_policy_config("gateway-tenants", 2, &[]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed);

    let mut config = distribution_config("pool", &[]);
    config
        .default_cache_behavior
        .as_mut()
        .unwrap()
        .cache_policy_id = Some(id.clone());
    let distribution = aws
        .cloudfront
        .create_distribution(config, &BTreeMap::new())
        .await
        .unwrap();
    let err = aws
        .cloudfront
        .delete_cache_policy(&id, &updated.etag)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.code(), Some("CachePolicyInUse"));

    // detach it (read-modify-write keeps the rest of the configuration), then delete
    aws.cloudfront
        .update_distribution_config(&distribution.value.id, |config| {
            config
                .default_cache_behavior
                .as_mut()
                .unwrap()
                .cache_policy_id = Some(CACHING_OPTIMIZED.into());
            Ok(true)
        })
        .await
        .unwrap();
    aws.cloudfront
        .delete_cache_policy(&id, &updated.etag)
        .await
        .unwrap();
    assert!(aws
        .cloudfront
        .find_cache_policy_by_id(&id)
        .await
        .unwrap()
        .is_none());
    aws.cloudfront
        .delete_cache_policy(&id, &updated.etag)
        .await
        .unwrap();
}

#[tokio::test]
async fn origin_request_policies_round_trip() {
    let s = session().await;
    let aws = s.clients().await;
    let created = aws
        .cloudfront
        .create_origin_request_policy(origin_request_policy("gateway-host"))
        .await
        .unwrap();
    let id = created.value.id.clone();
    assert_eq!(
        aws.cloudfront
            .find_origin_request_policy_by_id(&id)
            .await
            .unwrap()
            .unwrap()
            .etag,
        created.etag
    );
    let listed = |kind: Option<cf::OriginRequestPolicyType>| {
        let sdk = s.cloudfront_sdk();
        async move {
            let list = sdk
                .list_origin_request_policies()
                .set_type(kind)
                .send()
                .await
                .unwrap();
            list.origin_request_policy_list
                .unwrap()
                .items
                .unwrap_or_default()
                .len()
        }
    };
    assert_eq!(listed(Some(cf::OriginRequestPolicyType::Custom)).await, 1);
    assert!(listed(None).await > 1);

    let err = aws
        .cloudfront
        .create_origin_request_policy(origin_request_policy("gateway-host"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.code(), Some("OriginRequestPolicyAlreadyExists"));

    let updated = s
        .cloudfront_sdk()
        .update_origin_request_policy()
        .id(&id)
        .if_match(&created.etag)
        .origin_request_policy_config(origin_request_policy("gateway-host-2"))
        .send()
        .await
        .unwrap();
    let updated_etag = updated.e_tag.unwrap();
    let err = aws
        .cloudfront
        .delete_origin_request_policy(&id, &created.etag)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
    aws.cloudfront
        .delete_origin_request_policy(&id, &updated_etag)
        .await
        .unwrap();
    assert!(aws
        .cloudfront
        .find_origin_request_policy_by_id(&id)
        .await
        .unwrap()
        .is_none());
}

// ---------------------------------------------------------------------------------------------
// Retries of throttling and server errors (the SDK's)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_long_throttled_run_keeps_every_retry_it_is_allowed() {
    let s = session().await;
    let aws = s.clients().await; // max_retries = 3
    let zone = s.make_zone("example.com").await;
    s.reset_calls().await;
    // Each call is throttled three times before it goes through: 180 retries in all, more
    // than the SDK's default retry quota of 500 tokens (5 per throttled retry) would grant.
    for i in 0..60 {
        s.throttle("route53:GetHostedZone", 3).await;
        let found = aws.route53.find_hosted_zone_by_id(&zone).await;
        assert!(
            matches!(found, Ok(Some(_))),
            "call {i} was not retried as max_retries allows: {found:?}"
        );
    }
    assert_eq!(s.count("route53:GetHostedZone").await, 240);
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried_by_the_sdk() {
    let s = session().await;
    let aws = s.clients().await; // max_retries = 3
    let created = create_distribution(&aws, "pool", &[]).await;
    let zone = s.make_zone("example.com").await;
    let alb = s.make_alb("edge").await;
    s.reset_calls().await;

    s.throttle("cloudfront:GetDistributionConfig", 2).await;
    assert!(aws
        .cloudfront
        .find_distribution_config_by_id(&created.value.id)
        .await
        .unwrap()
        .is_some());
    assert_eq!(s.count("cloudfront:GetDistributionConfig").await, 3);

    s.fault(Fault {
        operation: "route53:GetHostedZone",
        code: "ServiceUnavailable",
        status: 503,
        count: 2,
    })
    .await;
    assert!(aws
        .route53
        .find_hosted_zone_by_id(&zone)
        .await
        .unwrap()
        .is_some());
    assert_eq!(s.count("route53:GetHostedZone").await, 3);

    s.fault(Fault {
        operation: "route53:ListResourceRecordSets",
        code: "PriorRequestNotComplete",
        status: 400,
        count: 1,
    })
    .await;
    assert_eq!(aws.route53.list_records(&zone).await.unwrap().len(), 2);
    assert_eq!(s.count("route53:ListResourceRecordSets").await, 2);

    s.throttle("elbv2:DescribeRules", 3).await;
    assert_eq!(
        aws.elbv2.list_rules(&alb.listener_arn).await.unwrap().len(),
        1
    );
    assert_eq!(s.count("elbv2:DescribeRules").await, 4);

    // More than max_retries: the throttling surfaces, classified.
    s.throttle("cloudfront:GetDistributionConfig", 10).await;
    let before = s.count("cloudfront:GetDistributionConfig").await;
    let err = aws
        .cloudfront
        .find_distribution_config_by_id(&created.value.id)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert_eq!(err.code(), Some("Throttling"));
    assert_eq!(
        s.count("cloudfront:GetDistributionConfig").await - before,
        4
    );
}

// ---------------------------------------------------------------------------------------------
// Route53
// ---------------------------------------------------------------------------------------------

const DISTRIBUTION_DOMAIN: &str = "d111111abcdef8.cloudfront.net";

fn tenant(host: &str) -> Vec<aws_sdk_route53::types::Change> {
    cloudfront_alias_changes(ChangeAction::Create, host, DISTRIBUTION_DOMAIN, true).unwrap()
}

#[tokio::test]
async fn tenant_records_are_created_found_and_synced() {
    let s = session().await;
    let aws = s.clients().await;
    let zone = s.make_zone("example.com").await;
    s.reset_calls().await;

    let changes = aws
        .route53
        .change_records(
            &zone,
            &[tenant("acme.example.com"), tenant("beta.example.com")],
        )
        .await
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].status, ChangeStatus::Pending);
    assert_eq!(s.count("route53:ChangeResourceRecordSets").await, 1);

    let records = address_records(&aws, &zone, "ACME.example.com.").await;
    let types: Vec<RrType> = records.iter().map(|r| r.r#type.clone()).collect();
    assert_eq!(types, vec![RrType::A, RrType::Aaaa]);
    assert_eq!(records[0].name, "acme.example.com.");
    let target = records[0].alias_target.as_ref().unwrap();
    assert_eq!(target.hosted_zone_id, "Z2FDTNDATAQYW2");
    assert!(target.dns_name.starts_with(DISTRIBUTION_DOMAIN));
    assert!(address_records(&aws, &zone, "nobody.example.com")
        .await
        .is_empty());
    assert_eq!(s.count("route53:ListResourceRecordSets").await, 2);

    let synced = aws
        .route53
        .wait_change_insync(
            &changes[0].id,
            &deadline(Duration::from_secs(10), &CancellationToken::new()),
        )
        .await
        .unwrap();
    assert_eq!(synced.status, ChangeStatus::Insync);
    assert_eq!(
        s.count("route53:GetChange").await,
        2,
        "PENDING, then INSYNC"
    );
}

#[tokio::test]
async fn creating_an_existing_record_is_a_conflict_and_applies_nothing() {
    let s = session().await;
    let aws = s.clients().await;
    let zone = s.make_zone("example.com").await;
    aws.route53
        .change_records(&zone, &[tenant("acme.example.com")])
        .await
        .unwrap();
    s.reset_calls().await;

    let err = aws
        .route53
        .change_records(
            &zone,
            &[tenant("gamma.example.com"), tenant("acme.example.com")],
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.code(), Some("InvalidChangeBatch"));
    assert!(err.message().contains("already exists"), "{err}");
    assert_eq!(s.count("route53:ChangeResourceRecordSets").await, 1);
    assert!(
        address_records(&aws, &zone, "gamma.example.com")
            .await
            .is_empty(),
        "the batch is all or nothing"
    );
}

#[tokio::test]
async fn deleting_records_must_match_them_exactly() {
    let s = session().await;
    let aws = s.clients().await;
    let zone = s.make_zone("example.com").await;
    aws.route53
        .change_records(&zone, &[tenant("acme.example.com")])
        .await
        .unwrap();

    let wrong = cloudfront_alias_changes(
        ChangeAction::Delete,
        "acme.example.com",
        "d222222abcdef8.cloudfront.net",
        true,
    )
    .unwrap();
    let err = aws
        .route53
        .change_records(&zone, &[wrong])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.message().contains("do not match"), "{err}");
    assert_eq!(
        address_records(&aws, &zone, "acme.example.com").await.len(),
        2
    );

    let right = cloudfront_alias_changes(
        ChangeAction::Delete,
        "acme.example.com",
        DISTRIBUTION_DOMAIN,
        true,
    )
    .unwrap();
    aws.route53
        .change_records(&zone, std::slice::from_ref(&right))
        .await
        .unwrap();
    assert!(address_records(&aws, &zone, "acme.example.com")
        .await
        .is_empty());
    let err = aws
        .route53
        .change_records(&zone, &[right])
        .await
        .unwrap_err();
    assert!(err.message().contains("not found"), "{err}");
}

#[tokio::test]
async fn large_changes_are_split_between_groups_and_read_back_by_pages() {
    const TENANTS: usize = 600;
    let s = session().await;
    let aws = s.clients().await;
    let zone = s.make_zone("example.com").await;
    s.reset_calls().await;

    let groups: Vec<_> = (0..TENANTS)
        .map(|i| tenant(&format!("t{i:03}.example.com")))
        .collect();
    let changes = aws.route53.change_records(&zone, &groups).await.unwrap();
    assert_eq!(
        changes.len(),
        2,
        "1,200 records need two calls of at most 1,000"
    );
    assert_eq!(s.count("route53:ChangeResourceRecordSets").await, 2);

    let records = aws.route53.list_records(&zone).await.unwrap();
    assert_eq!(
        records.len(),
        2 * TENANTS + 2,
        "the tenants' A and AAAA, and the zone's NS and SOA"
    );
    assert_eq!(
        s.count("route53:ListResourceRecordSets").await,
        5,
        "pages of 300"
    );
    let t599 = records
        .iter()
        .filter(|r| r.name == "t599.example.com.")
        .count();
    assert_eq!(t599, 2, "the last page is read too");
}

// ---------------------------------------------------------------------------------------------
// ELBv2
// ---------------------------------------------------------------------------------------------

fn host_rule(alb: &Alb, host: &str, priority: i32) -> HostRule {
    HostRule {
        listener_arn: alb.listener_arn.clone(),
        hosts: vec![host.to_string()],
        target_group_arn: alb.target_group_arn.clone(),
        tags: BTreeMap::from([("gateway:tenant".to_string(), host.to_string())]),
        priority,
    }
}

#[tokio::test]
async fn rules_are_created_at_their_priority_with_their_tags() {
    let s = session().await;
    let aws = s.clients().await;
    let alb = s.make_alb("edge").await;
    s.reset_calls().await;

    let mut created = Vec::new();
    for (host, priority) in [
        ("a.example.com", 1),
        ("b.example.com", 10),
        ("c.example.com", 2),
    ] {
        created.push(
            aws.elbv2
                .create_rule(&host_rule(&alb, host, priority))
                .await
                .unwrap(),
        );
    }
    let priorities: Vec<Option<i32>> = created.iter().map(ListenerRule::priority).collect();
    assert_eq!(priorities, [Some(1), Some(10), Some(2)]);
    assert_eq!(
        created[0].tags.get("gateway:tenant").map(String::as_str),
        Some("a.example.com")
    );
    assert_eq!(s.count("elbv2:CreateRule").await, 3);
    assert_eq!(
        s.count("elbv2:DescribeRules").await,
        0,
        "no listing to create"
    );

    let rules = aws.elbv2.list_rules(&alb.listener_arn).await.unwrap();
    assert_eq!(rules.len(), 4, "three rules and the default one");
    let default = rules
        .iter()
        .find(|r| r.rule.is_default == Some(true))
        .unwrap();
    assert!(default.tags.is_empty() && default.priority().is_none());
    let found = rules.iter().find(|r| r.arn() == created[2].arn()).unwrap();
    assert_eq!(found.hosts(), strings(&["c.example.com"]));
    assert_eq!(found.priority(), Some(2));
    assert_eq!(found.tags, created[2].tags);
    let action = &found.rule.actions.as_ref().unwrap()[0];
    assert_eq!(action.r#type, Some(elb::ActionTypeEnum::Forward));
    assert_eq!(
        action.target_group_arn.as_deref(),
        Some(alb.target_group_arn.as_str())
    );
}

#[tokio::test]
async fn a_priority_in_use_is_a_conflict_without_retry() {
    let s = session().await;
    let aws = s.clients().await;
    let alb = s.make_alb("edge").await;
    aws.elbv2
        .create_rule(&host_rule(&alb, "a.example.com", 5))
        .await
        .unwrap();
    s.reset_calls().await;

    let err = aws
        .elbv2
        .create_rule(&host_rule(&alb, "b.example.com", 5))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.code(), Some("PriorityInUse"));
    assert!(err.to_string().contains("priority 5"), "{err}");
    assert_eq!(s.count("elbv2:CreateRule").await, 1);
}

#[tokio::test]
async fn the_rule_quota_and_condition_limits_are_reported() {
    let s = session().await;
    s.configure(serde_json::json!({"elbv2_rules_per_alb_quota": 2}))
        .await;
    let aws = s.clients().await;
    let alb = s.make_alb("edge").await;
    for (priority, host) in [(1, "a.example.com"), (2, "b.example.com")] {
        aws.elbv2
            .create_rule(&host_rule(&alb, host, priority))
            .await
            .unwrap();
    }
    let err = aws
        .elbv2
        .create_rule(&host_rule(&alb, "c.example.com", 3))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Quota);
    assert_eq!(err.code(), Some("TooManyRules"));

    let mut six = host_rule(&alb, "x.example.com", 40);
    six.hosts = (0..6).map(|i| format!("h{i}.example.com")).collect();
    s.configure(serde_json::json!({"elbv2_rules_per_alb_quota": 100}))
        .await;
    let err = aws.elbv2.create_rule(&six).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.code(), Some("ValidationError"));
}

#[tokio::test]
async fn deleting_a_missing_rule_succeeds() {
    let s = session().await;
    let aws = s.clients().await;
    let alb = s.make_alb("edge").await;
    let rule = aws
        .elbv2
        .create_rule(&host_rule(&alb, "a.example.com", 1))
        .await
        .unwrap();
    s.reset_calls().await;

    aws.elbv2.delete_rule(rule.arn()).await.unwrap();
    aws.elbv2.delete_rule(rule.arn()).await.unwrap();
    assert_eq!(
        s.statuses("elbv2:DeleteRule").await,
        vec![200, 400],
        "the second answer is RuleNotFound"
    );
    assert!(rule_by_arn(&aws, &alb.listener_arn, rule.arn())
        .await
        .is_none());
}

#[tokio::test]
async fn rule_tags_are_read_twenty_rules_at_a_time() {
    const RULES: usize = 25;
    let s = session().await;
    let aws = s.clients().await;
    let alb = s.make_alb("edge").await;
    for i in 0..RULES {
        let host = format!("t{i}.example.com");
        aws.elbv2
            .create_rule(&host_rule(&alb, &host, i as i32 + 1))
            .await
            .unwrap();
    }
    s.reset_calls().await;

    let rules = aws.elbv2.list_rules(&alb.listener_arn).await.unwrap();
    let tagged = rules
        .iter()
        .filter(|r| r.tags.contains_key("gateway:tenant"));
    assert_eq!(tagged.count(), RULES);
    assert_eq!(s.count("elbv2:DescribeRules").await, 1);
    assert_eq!(s.count("elbv2:DescribeTags").await, 2);
}

#[tokio::test]
async fn rules_are_modified_reprioritised_and_retagged() {
    let s = session().await;
    let aws = s.clients().await;
    let alb = s.make_alb("edge").await;
    let a = aws
        .elbv2
        .create_rule(&host_rule(&alb, "a.example.com", 1))
        .await
        .unwrap();
    let b = aws
        .elbv2
        .create_rule(&host_rule(&alb, "b.example.com", 2))
        .await
        .unwrap();

    aws.elbv2
        .modify_rule(
            a.arn(),
            Some(&strings(&["a.example.com", "www.a.example.com"])),
            &alb.target_group_arn,
        )
        .await
        .unwrap();
    aws.elbv2
        .set_rule_priorities(&[(a.arn().to_string(), 2), (b.arn().to_string(), 1)])
        .await
        .unwrap();
    aws.elbv2
        .tag_resource(
            a.arn(),
            &BTreeMap::from([("team".to_string(), "edge".to_string())]),
        )
        .await
        .unwrap();
    aws.elbv2
        .untag_resource(a.arn(), &strings(&["gateway:tenant"]))
        .await
        .unwrap();

    let listener = &alb.listener_arn;
    let a = rule_by_arn(&aws, listener, a.arn()).await.unwrap();
    assert_eq!(a.priority(), Some(2));
    assert_eq!(a.hosts(), strings(&["a.example.com", "www.a.example.com"]));
    assert_eq!(a.tags.get("team").map(String::as_str), Some("edge"));
    assert!(!a.tags.contains_key("gateway:tenant"));
    let b = rule_by_arn(&aws, listener, b.arn()).await.unwrap();
    assert_eq!(b.priority(), Some(1));

    // Without hosts, only the actions are written: the hosts stay as they are.
    let modified = aws
        .elbv2
        .modify_rule(b.arn(), None, &alb.target_group_arn)
        .await
        .unwrap();
    assert_eq!(rule_hosts(&modified), strings(&["b.example.com"]));
}
