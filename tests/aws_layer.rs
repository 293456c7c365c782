//! The AWS layer against the honest emulator (moto plus the rules AWS enforces): every
//! conflict, quota and not-found path the provider relies on, with the AWS calls counted
//! where the design promises a number.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_cloudfront::types as cf;
use aws_sdk_elasticloadbalancingv2::types as elb;
use aws_sdk_route53::types::{ChangeAction, ChangeStatus, RrType};
use common::emulator::{
    distribution_config, fast_options, session, Alb, Fault, ACCOUNT_ID, CACHING_OPTIMIZED,
    PROFILE_WITHOUT_REGION, REGION, SECRET_ACCESS_KEY,
};
use gateway::aws::cloudfront::{CloudFrontApi, Versioned, ETAG_CONFLICT_MAX_ATTEMPTS};
use gateway::aws::elbv2::{
    Elbv2Api, HostRule, ListenerPage, RulePage, RuleSelector, MANAGED_BY_TAG_KEY,
    MANAGED_BY_TAG_VALUE,
};
use gateway::aws::route53::cloudfront_alias_changes;
use gateway::aws::{AwsClients, AwsError, CloudFront, Elbv2, ErrorKind};
use gateway::provider::config::AssumeRole;
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
        .find_distribution_by_id("EDOESNOTEXIST")
        .await
        .unwrap()
        .is_none());
    assert_eq!(s.count("cloudfront:GetDistribution").await, 1);
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
        .find_distribution_by_id("EDOESNOTEXIST")
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
        .find_distribution_by_id("EDOESNOTEXIST")
        .await
        .unwrap()
        .is_none());
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
    let rule_arn = alb.listener_arn.replace(":listener/", ":listener-rule/") + "/0123456789abcdef";
    assert!(aws
        .elbv2
        .find_rule_by_arn(&rule_arn)
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

    let found = aws
        .cloudfront
        .find_distribution_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.etag, created.etag);
    assert_eq!(
        aliases_of(found.value.distribution_config.as_ref().unwrap()),
        strings(&["a.example.com"])
    );
    let config = aws
        .cloudfront
        .find_distribution_config_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(config.etag, created.etag);
    assert_eq!(config.value.caller_reference, "pool-1");

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
async fn adding_an_alias_reads_once_and_writes_once_and_repeats_are_free() {
    let s = session().await;
    let aws = s.clients().await;
    let created = create_distribution(&aws, "pool", &["a.example.com"]).await;
    let id = &created.value.id;
    s.reset_calls().await;

    let update = aws
        .cloudfront
        .update_distribution_aliases(id, &strings(&["b.example.com"]), &[])
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

    // Already there / already absent: one read, no write.
    let again = aws
        .cloudfront
        .update_distribution_aliases(
            id,
            &strings(&["B.example.com"]),
            &strings(&["c.example.com"]),
        )
        .await
        .unwrap();
    assert!(!again.changed);
    assert_eq!(again.etag, update.etag);
    assert_eq!(s.count("cloudfront:GetDistributionConfig").await, 2);
    assert_eq!(s.count("cloudfront:UpdateDistribution").await, 1);

    let removed = aws
        .cloudfront
        .update_distribution_aliases(id, &[], &strings(&["a.example.com"]))
        .await
        .unwrap();
    assert_eq!(aliases_of(&removed.config), strings(&["b.example.com"]));
    let stored = aws
        .cloudfront
        .find_distribution_config_by_id(id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(aliases_of(&stored.value), strings(&["b.example.com"]));
    assert_eq!(stored.etag, removed.etag);
}

/// Lets another writer update the distribution between the layer's read and its write, once.
struct Interloper {
    inner: aws_sdk_cloudfront::Client,
    armed: AtomicBool,
}

#[async_trait]
impl CloudFrontApi for Interloper {
    async fn get_distribution(&self, id: &str) -> Result<Versioned<cf::Distribution>, AwsError> {
        CloudFrontApi::get_distribution(&self.inner, id).await
    }
    async fn get_distribution_config(
        &self,
        id: &str,
    ) -> Result<Versioned<cf::DistributionConfig>, AwsError> {
        CloudFrontApi::get_distribution_config(&self.inner, id).await
    }
    async fn list_distributions(
        &self,
        marker: Option<String>,
        max_items: i32,
    ) -> Result<cf::DistributionList, AwsError> {
        CloudFrontApi::list_distributions(&self.inner, marker, max_items).await
    }
    async fn create_distribution_with_tags(
        &self,
        config: cf::DistributionConfigWithTags,
    ) -> Result<Versioned<cf::Distribution>, AwsError> {
        CloudFrontApi::create_distribution_with_tags(&self.inner, config).await
    }
    async fn update_distribution(
        &self,
        id: &str,
        if_match: &str,
        config: cf::DistributionConfig,
    ) -> Result<Versioned<cf::Distribution>, AwsError> {
        if self.armed.swap(false, Ordering::SeqCst) {
            let theirs = CloudFrontApi::get_distribution_config(&self.inner, id).await?;
            let mut changed = theirs.value;
            changed.comment = "changed by another writer".into();
            CloudFrontApi::update_distribution(&self.inner, id, &theirs.etag, changed).await?;
        }
        CloudFrontApi::update_distribution(&self.inner, id, if_match, config).await
    }
    async fn delete_distribution(&self, id: &str, if_match: &str) -> Result<(), AwsError> {
        CloudFrontApi::delete_distribution(&self.inner, id, if_match).await
    }
    async fn get_cache_policy(&self, id: &str) -> Result<Versioned<cf::CachePolicy>, AwsError> {
        CloudFrontApi::get_cache_policy(&self.inner, id).await
    }
    async fn list_cache_policies(
        &self,
        kind: Option<cf::CachePolicyType>,
        marker: Option<String>,
        max_items: i32,
    ) -> Result<cf::CachePolicyList, AwsError> {
        CloudFrontApi::list_cache_policies(&self.inner, kind, marker, max_items).await
    }
    async fn create_cache_policy(
        &self,
        config: cf::CachePolicyConfig,
    ) -> Result<Versioned<cf::CachePolicy>, AwsError> {
        CloudFrontApi::create_cache_policy(&self.inner, config).await
    }
    async fn update_cache_policy(
        &self,
        id: &str,
        if_match: &str,
        config: cf::CachePolicyConfig,
    ) -> Result<Versioned<cf::CachePolicy>, AwsError> {
        CloudFrontApi::update_cache_policy(&self.inner, id, if_match, config).await
    }
    async fn delete_cache_policy(&self, id: &str, if_match: &str) -> Result<(), AwsError> {
        CloudFrontApi::delete_cache_policy(&self.inner, id, if_match).await
    }
    async fn get_origin_request_policy(
        &self,
        id: &str,
    ) -> Result<Versioned<cf::OriginRequestPolicy>, AwsError> {
        CloudFrontApi::get_origin_request_policy(&self.inner, id).await
    }
    async fn list_origin_request_policies(
        &self,
        kind: Option<cf::OriginRequestPolicyType>,
        marker: Option<String>,
        max_items: i32,
    ) -> Result<cf::OriginRequestPolicyList, AwsError> {
        CloudFrontApi::list_origin_request_policies(&self.inner, kind, marker, max_items).await
    }
    async fn create_origin_request_policy(
        &self,
        config: cf::OriginRequestPolicyConfig,
    ) -> Result<Versioned<cf::OriginRequestPolicy>, AwsError> {
        CloudFrontApi::create_origin_request_policy(&self.inner, config).await
    }
    async fn update_origin_request_policy(
        &self,
        id: &str,
        if_match: &str,
        config: cf::OriginRequestPolicyConfig,
    ) -> Result<Versioned<cf::OriginRequestPolicy>, AwsError> {
        CloudFrontApi::update_origin_request_policy(&self.inner, id, if_match, config).await
    }
    async fn delete_origin_request_policy(&self, id: &str, if_match: &str) -> Result<(), AwsError> {
        CloudFrontApi::delete_origin_request_policy(&self.inner, id, if_match).await
    }
    async fn list_tags_for_resource(&self, arn: &str) -> Result<Vec<cf::Tag>, AwsError> {
        CloudFrontApi::list_tags_for_resource(&self.inner, arn).await
    }
    async fn tag_resource(&self, arn: &str, tags: Vec<cf::Tag>) -> Result<(), AwsError> {
        CloudFrontApi::tag_resource(&self.inner, arn, tags).await
    }
    async fn untag_resource(&self, arn: &str, keys: Vec<String>) -> Result<(), AwsError> {
        CloudFrontApi::untag_resource(&self.inner, arn, keys).await
    }
}

#[tokio::test]
async fn a_stale_etag_is_read_again_and_the_update_retried() {
    let s = session().await;
    let aws = s.clients().await;
    let created = create_distribution(&aws, "pool", &["a.example.com"]).await;
    let id = &created.value.id;
    let cloudfront = CloudFront::new(
        Arc::new(Interloper {
            inner: s.cloudfront_sdk(),
            armed: AtomicBool::new(true),
        }),
        fast_options().waits,
    );
    s.reset_calls().await;

    let update = cloudfront
        .update_distribution_aliases(id, &strings(&["b.example.com"]), &[])
        .await
        .unwrap();
    assert_eq!(update.attempts, 2);
    assert_eq!(
        aliases_of(&update.config),
        strings(&["a.example.com", "b.example.com"])
    );
    assert_eq!(
        update.config.comment, "changed by another writer",
        "the other writer's change is kept"
    );
    // Ours: read, refused write (412), read, write. The other writer's: read, write.
    assert_eq!(s.count("cloudfront:GetDistributionConfig").await, 3);
    assert_eq!(
        s.statuses("cloudfront:UpdateDistribution").await,
        vec![200, 412, 200]
    );
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

    let err = aws
        .cloudfront
        .update_distribution_aliases(&created.value.id, &strings(&["a.example.com"]), &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
    assert_eq!(err.code(), Some("PreconditionFailed"));
    let max = u64::from(ETAG_CONFLICT_MAX_ATTEMPTS);
    assert_eq!(s.count("cloudfront:GetDistributionConfig").await, max);
    assert_eq!(s.count("cloudfront:UpdateDistribution").await, max);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_alias_adds_all_land() {
    const WRITERS: usize = 8;
    let s = session().await;
    let aws = Arc::new(s.clients().await);
    let created = create_distribution(&aws, "pool", &[]).await;
    let id = created.value.id.clone();
    s.reset_calls().await;

    let tasks: Vec<_> = (0..WRITERS)
        .map(|i| {
            let aws = aws.clone();
            let id = id.clone();
            tokio::spawn(async move {
                aws.cloudfront
                    .update_distribution_aliases(&id, &[format!("t{i}.example.com")], &[])
                    .await
            })
        })
        .collect();
    let mut attempts = 0;
    for task in tasks {
        let update = task.await.unwrap().expect("every writer succeeds");
        assert!(update.changed);
        attempts += u64::from(update.attempts);
    }
    let stored = aws
        .cloudfront
        .find_distribution_config_by_id(&id)
        .await
        .unwrap()
        .unwrap();
    let got: BTreeSet<String> = aliases_of(&stored.value).into_iter().collect();
    let want: BTreeSet<String> = (0..WRITERS).map(|i| format!("t{i}.example.com")).collect();
    assert_eq!(got, want);
    // every attempt is one read and one write; the refused writes are the lost races
    let updates = s.statuses("cloudfront:UpdateDistribution").await;
    assert_eq!(updates.len() as u64, attempts);
    assert_eq!(updates.iter().filter(|s| **s == 200).count(), WRITERS);
    assert!(
        updates.iter().all(|s| *s == 200 || *s == 412),
        "{updates:?}"
    );
    assert_eq!(
        s.count("cloudfront:GetDistributionConfig").await,
        attempts + 1
    );
}

#[tokio::test]
async fn an_alias_on_another_distribution_is_a_conflict_naming_it() {
    let s = session().await;
    let aws = s.clients().await;
    create_distribution(&aws, "pool-1", &["shop.example.com"]).await;
    let other = create_distribution(&aws, "pool-2", &["blog.example.com"]).await;
    s.reset_calls().await;

    let err = aws
        .cloudfront
        .update_distribution_aliases(&other.value.id, &strings(&["shop.example.com"]), &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.code(), Some("CNAMEAlreadyExists"));
    assert!(err.request_id().is_some());
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "UpdateDistribution {} (alias shop.example.com): CNAMEAlreadyExists: ",
            other.value.id
        )),
        "{message}"
    );
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

    let err = aws
        .cloudfront
        .update_distribution_aliases(&created.value.id, &strings(&["d.example.com"]), &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Quota);
    assert_eq!(err.code(), Some("TooManyDistributionCNAMEs"));
    assert!(err.to_string().contains("d.example.com"), "{err}");

    // swapping one alias for another stays within the quota
    aws.cloudfront
        .update_distribution_aliases(
            &created.value.id,
            &strings(&["d.example.com"]),
            &strings(&["a.example.com"]),
        )
        .await
        .unwrap();
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
        .wait_distribution_deployed(id, Duration::from_secs(10), &cancel)
        .await
        .unwrap();
    assert_eq!(deployed.value.status, "Deployed");

    aws.cloudfront
        .delete_distribution(id, &deployed.etag)
        .await
        .unwrap();
    assert!(aws
        .cloudfront
        .find_distribution_by_id(id)
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
            Duration::from_secs(10),
            &CancellationToken::new(),
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
            Duration::from_millis(150),
            &CancellationToken::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(
        err.to_string().contains("(last status InProgress)"),
        "{err}"
    );

    let err = aws
        .route53
        .wait_change_insync(
            &change.id,
            Duration::from_millis(150),
            &CancellationToken::new(),
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
        .wait_distribution_deployed(&created.value.id, Duration::from_secs(600), &cancel)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(5));
    let err = aws
        .route53
        .wait_change_insync(&change.id, Duration::from_secs(600), &cancel)
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
    aws.cloudfront
        .update_distribution_aliases(id, &strings(&["a.example.com"]), &[])
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

fn cache_policy(name: &str, min_ttl: i64) -> cf::CachePolicyConfig {
    cf::CachePolicyConfig::builder()
        .name(name)
        .comment("tenants")
        .min_ttl(min_ttl)
        .default_ttl(3600)
        .max_ttl(86400)
        .parameters_in_cache_key_and_forwarded_to_origin(
            cf::ParametersInCacheKeyAndForwardedToOrigin::builder()
                .enable_accept_encoding_gzip(true)
                .enable_accept_encoding_brotli(true)
                .headers_config(
                    cf::CachePolicyHeadersConfig::builder()
                        .header_behavior(cf::CachePolicyHeaderBehavior::None)
                        .build()
                        .unwrap(),
                )
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
        .create_cache_policy(cache_policy("gateway-tenants", 0))
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
    let custom = aws.cloudfront.list_cache_policies(true).await.unwrap();
    assert_eq!(
        custom.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        vec![id.as_str()]
    );
    let all = aws.cloudfront.list_cache_policies(false).await.unwrap();
    assert!(all.iter().any(|p| p.id == CACHING_OPTIMIZED) && all.iter().any(|p| p.id == id));

    let updated = aws
        .cloudfront
        .update_cache_policy(&id, &created.etag, cache_policy("gateway-tenants", 1))
        .await
        .unwrap();
    assert_ne!(updated.etag, created.etag);
    let err = aws
        .cloudfront
        .update_cache_policy(&id, &created.etag, cache_policy("gateway-tenants", 2))
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
    let custom = aws
        .cloudfront
        .list_origin_request_policies(true)
        .await
        .unwrap();
    assert_eq!(custom.len(), 1);
    assert!(
        aws.cloudfront
            .list_origin_request_policies(false)
            .await
            .unwrap()
            .len()
            > 1
    );

    let err = aws
        .cloudfront
        .create_origin_request_policy(origin_request_policy("gateway-host"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.code(), Some("OriginRequestPolicyAlreadyExists"));

    let updated = aws
        .cloudfront
        .update_origin_request_policy(&id, &created.etag, origin_request_policy("gateway-host-2"))
        .await
        .unwrap();
    let err = aws
        .cloudfront
        .delete_origin_request_policy(&id, &created.etag)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
    aws.cloudfront
        .delete_origin_request_policy(&id, &updated.etag)
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

    s.throttle("cloudfront:GetDistribution", 2).await;
    assert!(aws
        .cloudfront
        .find_distribution_by_id(&created.value.id)
        .await
        .unwrap()
        .is_some());
    assert_eq!(s.count("cloudfront:GetDistribution").await, 3);

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
    s.throttle("cloudfront:GetDistribution", 10).await;
    let before = s.count("cloudfront:GetDistribution").await;
    let err = aws
        .cloudfront
        .find_distribution_by_id(&created.value.id)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert_eq!(err.code(), Some("Throttling"));
    assert_eq!(s.count("cloudfront:GetDistribution").await - before, 4);
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

    let records = aws
        .route53
        .find_alias_records(&zone, "ACME.example.com.")
        .await
        .unwrap();
    let types: Vec<RrType> = records.iter().map(|r| r.r#type.clone()).collect();
    assert_eq!(types, vec![RrType::A, RrType::Aaaa]);
    assert_eq!(records[0].name, "acme.example.com.");
    let target = records[0].alias_target.as_ref().unwrap();
    assert_eq!(target.hosted_zone_id, "Z2FDTNDATAQYW2");
    assert!(target.dns_name.starts_with(DISTRIBUTION_DOMAIN));
    assert!(aws
        .route53
        .find_alias_records(&zone, "nobody.example.com")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s.count("route53:ListResourceRecordSets").await,
        2,
        "one read per host"
    );

    let synced = aws
        .route53
        .wait_change_insync(
            &changes[0].id,
            Duration::from_secs(10),
            &CancellationToken::new(),
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
        aws.route53
            .find_alias_records(&zone, "gamma.example.com")
            .await
            .unwrap()
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
        aws.route53
            .find_alias_records(&zone, "acme.example.com")
            .await
            .unwrap()
            .len(),
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
    assert!(aws
        .route53
        .find_alias_records(&zone, "acme.example.com")
        .await
        .unwrap()
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

    s.reset_calls().await;
    let found = aws
        .route53
        .find_alias_records(&zone, "t599.example.com")
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(s.count("route53:ListResourceRecordSets").await, 1);
}

// ---------------------------------------------------------------------------------------------
// ELBv2
// ---------------------------------------------------------------------------------------------

fn host_rule(alb: &Alb, host: &str, priority: Option<i32>) -> HostRule {
    HostRule {
        listener_arn: alb.listener_arn.clone(),
        hosts: vec![host.to_string()],
        target_group_arn: alb.target_group_arn.clone(),
        tags: BTreeMap::from([("gateway:tenant".to_string(), host.to_string())]),
        priority,
    }
}

#[tokio::test]
async fn rules_take_the_lowest_free_priority_and_are_tagged_as_ours() {
    let s = session().await;
    let aws = s.clients().await;
    let alb = s.make_alb("edge").await;
    s.reset_calls().await;

    let first = aws
        .elbv2
        .create_rule_with_free_priority(&host_rule(&alb, "a.example.com", None))
        .await
        .unwrap();
    let pinned = aws
        .elbv2
        .create_rule_with_free_priority(&host_rule(&alb, "b.example.com", Some(10)))
        .await
        .unwrap();
    let third = aws
        .elbv2
        .create_rule_with_free_priority(&host_rule(&alb, "c.example.com", None))
        .await
        .unwrap();
    assert_eq!(
        (first.priority(), pinned.priority(), third.priority()),
        (Some(1), Some(10), Some(2))
    );
    assert!(first.is_managed());
    assert_eq!(
        first.tags.get("gateway:tenant").map(String::as_str),
        Some("a.example.com")
    );
    assert_eq!(s.count("elbv2:CreateRule").await, 3);
    assert_eq!(
        s.count("elbv2:DescribeRules").await,
        2,
        "a pinned priority needs no listing"
    );

    aws.elbv2.delete_rule(first.arn()).await.unwrap();
    let reused = aws
        .elbv2
        .create_rule_with_free_priority(&host_rule(&alb, "d.example.com", None))
        .await
        .unwrap();
    assert_eq!(reused.priority(), Some(1));

    let rules = aws.elbv2.list_rules(&alb.listener_arn).await.unwrap();
    assert_eq!(rules.len(), 4, "three rules and the default one");
    let default = rules
        .iter()
        .find(|r| r.rule.is_default == Some(true))
        .unwrap();
    assert!(default.tags.is_empty() && default.priority().is_none());
    assert!(rules
        .iter()
        .filter(|r| r.rule.is_default != Some(true))
        .all(|r| r.is_managed()));

    let found = aws
        .elbv2
        .find_rule_by_arn(third.arn())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.hosts(), strings(&["c.example.com"]));
    assert_eq!(found.priority(), Some(2));
    assert_eq!(
        found.tags.get(MANAGED_BY_TAG_KEY).map(String::as_str),
        Some(MANAGED_BY_TAG_VALUE)
    );
    let action = &found.rule.actions.as_ref().unwrap()[0];
    assert_eq!(action.r#type, Some(elb::ActionTypeEnum::Forward));
    assert_eq!(
        action.target_group_arn.as_deref(),
        Some(alb.target_group_arn.as_str())
    );
}

/// Creates a rule on the same priority just before the layer's CreateRule, once.
struct PriorityThief {
    inner: aws_sdk_elasticloadbalancingv2::Client,
    armed: AtomicBool,
}

#[async_trait]
impl Elbv2Api for PriorityThief {
    async fn describe_listeners(&self, arns: Vec<String>) -> Result<Vec<elb::Listener>, AwsError> {
        Elbv2Api::describe_listeners(&self.inner, arns).await
    }
    async fn describe_load_balancer_listeners(
        &self,
        load_balancer_arn: &str,
        marker: Option<String>,
    ) -> Result<ListenerPage, AwsError> {
        Elbv2Api::describe_load_balancer_listeners(&self.inner, load_balancer_arn, marker).await
    }
    async fn describe_load_balancers(
        &self,
        arns: Vec<String>,
    ) -> Result<Vec<elb::LoadBalancer>, AwsError> {
        Elbv2Api::describe_load_balancers(&self.inner, arns).await
    }
    async fn describe_target_groups(
        &self,
        arns: Vec<String>,
    ) -> Result<Vec<elb::TargetGroup>, AwsError> {
        Elbv2Api::describe_target_groups(&self.inner, arns).await
    }
    async fn describe_rules(
        &self,
        selector: RuleSelector,
        marker: Option<String>,
        page_size: i32,
    ) -> Result<RulePage, AwsError> {
        Elbv2Api::describe_rules(&self.inner, selector, marker, page_size).await
    }
    async fn describe_tags(&self, arns: Vec<String>) -> Result<Vec<elb::TagDescription>, AwsError> {
        Elbv2Api::describe_tags(&self.inner, arns).await
    }
    async fn create_rule(
        &self,
        listener_arn: &str,
        priority: i32,
        conditions: Vec<elb::RuleCondition>,
        actions: Vec<elb::Action>,
        tags: Vec<elb::Tag>,
    ) -> Result<elb::Rule, AwsError> {
        if self.armed.swap(false, Ordering::SeqCst) {
            let (conditions, actions) = gateway::aws::elbv2::host_rule_parts(
                &strings(&["thief.example.com"]),
                actions[0].target_group_arn.as_deref().unwrap(),
            );
            Elbv2Api::create_rule(
                &self.inner,
                listener_arn,
                priority,
                conditions,
                actions,
                Vec::new(),
            )
            .await?;
        }
        Elbv2Api::create_rule(
            &self.inner,
            listener_arn,
            priority,
            conditions,
            actions,
            tags,
        )
        .await
    }
    async fn modify_rule(
        &self,
        rule_arn: &str,
        conditions: Vec<elb::RuleCondition>,
        actions: Vec<elb::Action>,
    ) -> Result<elb::Rule, AwsError> {
        Elbv2Api::modify_rule(&self.inner, rule_arn, conditions, actions).await
    }
    async fn delete_rule(&self, rule_arn: &str) -> Result<(), AwsError> {
        Elbv2Api::delete_rule(&self.inner, rule_arn).await
    }
    async fn set_rule_priorities(
        &self,
        pairs: Vec<elb::RulePriorityPair>,
    ) -> Result<Vec<elb::Rule>, AwsError> {
        Elbv2Api::set_rule_priorities(&self.inner, pairs).await
    }
    async fn add_tags(&self, arns: Vec<String>, tags: Vec<elb::Tag>) -> Result<(), AwsError> {
        Elbv2Api::add_tags(&self.inner, arns, tags).await
    }
    async fn remove_tags(&self, arns: Vec<String>, keys: Vec<String>) -> Result<(), AwsError> {
        Elbv2Api::remove_tags(&self.inner, arns, keys).await
    }
}

#[tokio::test]
async fn a_priority_taken_meanwhile_is_retried_with_the_next_free_one() {
    let s = session().await;
    let aws = s.clients().await;
    let alb = s.make_alb("edge").await;
    aws.elbv2
        .create_rule_with_free_priority(&host_rule(&alb, "a.example.com", None))
        .await
        .unwrap();
    let elbv2 = Elbv2::new(
        Arc::new(PriorityThief {
            inner: s.elbv2_sdk(),
            armed: AtomicBool::new(true),
        }),
        fast_options().waits,
    );
    s.reset_calls().await;

    let rule = elbv2
        .create_rule_with_free_priority(&host_rule(&alb, "b.example.com", None))
        .await
        .unwrap();
    assert_eq!(
        rule.priority(),
        Some(3),
        "2 was taken between the listing and the creation"
    );
    // Ours: list, refused create, list, create. The thief's: one create.
    assert_eq!(s.count("elbv2:DescribeRules").await, 2);
    assert_eq!(s.statuses("elbv2:CreateRule").await, vec![200, 400, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_rule_creations_get_distinct_priorities() {
    const WRITERS: i32 = 6;
    let s = session().await;
    let aws = Arc::new(s.clients().await);
    let alb = s.make_alb("edge").await;

    let tasks: Vec<_> = (0..WRITERS)
        .map(|i| {
            let aws = aws.clone();
            let spec = host_rule(&alb, &format!("t{i}.example.com"), None);
            tokio::spawn(async move { aws.elbv2.create_rule_with_free_priority(&spec).await })
        })
        .collect();
    let mut priorities = BTreeSet::new();
    for task in tasks {
        let rule = task.await.unwrap().expect("every writer gets a rule");
        priorities.insert(rule.priority().unwrap());
    }
    assert_eq!(priorities, (1..=WRITERS).collect());
    let creates = s.statuses("elbv2:CreateRule").await;
    assert_eq!(
        creates.iter().filter(|s| **s == 200).count(),
        WRITERS as usize
    );
}

#[tokio::test]
async fn a_pinned_priority_in_use_is_a_conflict_without_retry() {
    let s = session().await;
    let aws = s.clients().await;
    let alb = s.make_alb("edge").await;
    aws.elbv2
        .create_rule_with_free_priority(&host_rule(&alb, "a.example.com", Some(5)))
        .await
        .unwrap();
    s.reset_calls().await;

    let err = aws
        .elbv2
        .create_rule_with_free_priority(&host_rule(&alb, "b.example.com", Some(5)))
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
    for host in ["a.example.com", "b.example.com"] {
        aws.elbv2
            .create_rule_with_free_priority(&host_rule(&alb, host, None))
            .await
            .unwrap();
    }
    let err = aws
        .elbv2
        .create_rule_with_free_priority(&host_rule(&alb, "c.example.com", None))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Quota);
    assert_eq!(err.code(), Some("TooManyRules"));

    let mut six = host_rule(&alb, "x.example.com", Some(40));
    six.hosts = (0..6).map(|i| format!("h{i}.example.com")).collect();
    s.configure(serde_json::json!({"elbv2_rules_per_alb_quota": 100}))
        .await;
    let err = aws
        .elbv2
        .create_rule_with_free_priority(&six)
        .await
        .unwrap_err();
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
        .create_rule_with_free_priority(&host_rule(&alb, "a.example.com", None))
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
    assert!(aws
        .elbv2
        .find_rule_by_arn(rule.arn())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn rule_tags_are_read_twenty_rules_at_a_time() {
    const RULES: usize = 25;
    let s = session().await;
    let aws = s.clients().await;
    let alb = s.make_alb("edge").await;
    for i in 0..RULES {
        aws.elbv2
            .create_rule_with_free_priority(&host_rule(
                &alb,
                &format!("t{i}.example.com"),
                Some(i as i32 + 1),
            ))
            .await
            .unwrap();
    }
    s.reset_calls().await;

    let rules = aws.elbv2.list_rules(&alb.listener_arn).await.unwrap();
    assert_eq!(rules.iter().filter(|r| r.is_managed()).count(), RULES);
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
        .create_rule_with_free_priority(&host_rule(&alb, "a.example.com", None))
        .await
        .unwrap();
    let b = aws
        .elbv2
        .create_rule_with_free_priority(&host_rule(&alb, "b.example.com", None))
        .await
        .unwrap();

    aws.elbv2
        .modify_rule(
            a.arn(),
            &strings(&["a.example.com", "www.a.example.com"]),
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

    let a = aws.elbv2.find_rule_by_arn(a.arn()).await.unwrap().unwrap();
    assert_eq!(a.priority(), Some(2));
    assert_eq!(a.hosts(), strings(&["a.example.com", "www.a.example.com"]));
    assert_eq!(a.tags.get("team").map(String::as_str), Some("edge"));
    assert!(!a.tags.contains_key("gateway:tenant") && a.is_managed());
    assert_eq!(
        aws.elbv2
            .find_rule_by_arn(b.arn())
            .await
            .unwrap()
            .unwrap()
            .priority(),
        Some(1)
    );
}
