//! CloudFront: distributions (the pool that carries tenants' aliases), cache policies and
//! origin request policies.
//!
//! [`CloudFrontApi`] is the thin wrapper, one method per API operation, implemented by the SDK
//! client; [`CloudFront`] holds the finders, mutations and waiters built on it. Every
//! distribution and policy change is optimistic: it sends the ETag it read as `If-Match`,
//! and [`CloudFront::update_distribution_config`] refetches and retries when another writer
//! got there first.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_cloudfront::types::{
    Aliases, CachePolicy, CachePolicyConfig, CachePolicyType, Distribution, DistributionConfig,
    DistributionConfigWithTags, DistributionIdList, DistributionList, DistributionSummary,
    OriginRequestPolicy, OriginRequestPolicyConfig, OriginRequestPolicyType, Tag, TagKeys, Tags,
};

use super::error::{AwsError, ErrorKind};
use super::wait::{poll_until, Deadline, Poll};
use super::{all_pages, found, missing, Page, Service};

/// Attempts of a read-modify-write of a distribution before a stale ETag is reported. Each
/// lost attempt means another writer's update landed in between, so this also bounds how many
/// concurrent writers are guaranteed to converge.
pub const ETAG_CONFLICT_MAX_ATTEMPTS: u32 = 10;
/// `MaxItems` of ListDistributions.
pub const DISTRIBUTIONS_PAGE_SIZE: i32 = 100;
/// Status of a distribution whose last change reached every edge location.
pub const STATUS_DEPLOYED: &str = "Deployed";

/// A CloudFront object with the ETag to send as `If-Match` when changing or deleting it.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    /// The object as read.
    pub value: T,
    /// Its version.
    pub etag: String,
}

/// One method per CloudFront API operation the provider uses. The SDK client implements it;
/// tests of higher layers implement it with a fake.
#[async_trait]
pub trait CloudFrontApi: super::saas::SaasApi + Send + Sync {
    /// GetDistribution.
    async fn get_distribution(&self, id: &str) -> Result<Versioned<Distribution>, AwsError>;
    /// GetDistributionConfig.
    async fn get_distribution_config(
        &self,
        id: &str,
    ) -> Result<Versioned<DistributionConfig>, AwsError>;
    /// ListDistributions, one page.
    async fn list_distributions(
        &self,
        marker: Option<String>,
        max_items: i32,
    ) -> Result<DistributionList, AwsError>;
    /// CreateDistributionWithTags.
    async fn create_distribution_with_tags(
        &self,
        config: DistributionConfigWithTags,
    ) -> Result<Versioned<Distribution>, AwsError>;
    /// UpdateDistribution with `If-Match`.
    async fn update_distribution(
        &self,
        id: &str,
        if_match: &str,
        config: DistributionConfig,
    ) -> Result<Versioned<Distribution>, AwsError>;
    /// DeleteDistribution with `If-Match`.
    async fn delete_distribution(&self, id: &str, if_match: &str) -> Result<(), AwsError>;
    /// GetCachePolicy.
    async fn get_cache_policy(&self, id: &str) -> Result<Versioned<CachePolicy>, AwsError>;
    /// CreateCachePolicy.
    async fn create_cache_policy(
        &self,
        config: CachePolicyConfig,
    ) -> Result<Versioned<CachePolicy>, AwsError>;
    /// UpdateCachePolicy with `If-Match`.
    async fn update_cache_policy(
        &self,
        id: &str,
        if_match: &str,
        config: CachePolicyConfig,
    ) -> Result<Versioned<CachePolicy>, AwsError>;
    /// DeleteCachePolicy with `If-Match`.
    async fn delete_cache_policy(&self, id: &str, if_match: &str) -> Result<(), AwsError>;
    /// GetOriginRequestPolicy.
    async fn get_origin_request_policy(
        &self,
        id: &str,
    ) -> Result<Versioned<OriginRequestPolicy>, AwsError>;
    /// CreateOriginRequestPolicy.
    async fn create_origin_request_policy(
        &self,
        config: OriginRequestPolicyConfig,
    ) -> Result<Versioned<OriginRequestPolicy>, AwsError>;
    /// DeleteOriginRequestPolicy with `If-Match`.
    async fn delete_origin_request_policy(&self, id: &str, if_match: &str) -> Result<(), AwsError>;
    /// ListCachePolicies of the account's own (`Type=custom`), one page.
    async fn list_cache_policies(
        &self,
        marker: Option<String>,
    ) -> Result<Page<CachePolicy>, AwsError>;
    /// ListOriginRequestPolicies of the account's own (`Type=custom`), one page.
    async fn list_origin_request_policies(
        &self,
        marker: Option<String>,
    ) -> Result<Page<OriginRequestPolicy>, AwsError>;
    /// ListDistributionsByCachePolicyId, one page of distribution ids.
    async fn list_distributions_by_cache_policy_id(
        &self,
        id: &str,
        marker: Option<String>,
    ) -> Result<Page<String>, AwsError>;
    /// ListDistributionsByOriginRequestPolicyId, one page of distribution ids.
    async fn list_distributions_by_origin_request_policy_id(
        &self,
        id: &str,
        marker: Option<String>,
    ) -> Result<Page<String>, AwsError>;
    /// ListTagsForResource.
    async fn list_tags_for_resource(&self, arn: &str) -> Result<Vec<Tag>, AwsError>;
    /// TagResource.
    async fn tag_resource(&self, arn: &str, tags: Vec<Tag>) -> Result<(), AwsError>;
    /// UntagResource.
    async fn untag_resource(&self, arn: &str, keys: Vec<String>) -> Result<(), AwsError>;
}

fn id_page(list: Option<DistributionIdList>) -> Page<String> {
    let next = list
        .as_ref()
        .filter(|l| l.is_truncated)
        .and_then(|l| l.next_marker.clone());
    Page {
        items: list.and_then(|l| l.items).unwrap_or_default(),
        next,
    }
}

pub(super) fn versioned<T>(
    operation: &str,
    value: Option<T>,
    etag: Option<String>,
) -> Result<Versioned<T>, AwsError> {
    Ok(Versioned {
        value: value.ok_or_else(|| missing(operation, "the object"))?,
        etag: etag.ok_or_else(|| missing(operation, "ETag"))?,
    })
}

#[async_trait]
impl CloudFrontApi for aws_sdk_cloudfront::Client {
    async fn get_distribution(&self, id: &str) -> Result<Versioned<Distribution>, AwsError> {
        const OP: &str = "GetDistribution";
        let out = self
            .get_distribution()
            .id(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(id))?;
        versioned(OP, out.distribution, out.e_tag)
    }

    async fn get_distribution_config(
        &self,
        id: &str,
    ) -> Result<Versioned<DistributionConfig>, AwsError> {
        const OP: &str = "GetDistributionConfig";
        let out = self
            .get_distribution_config()
            .id(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(id))?;
        versioned(OP, out.distribution_config, out.e_tag)
    }

    async fn list_distributions(
        &self,
        marker: Option<String>,
        max_items: i32,
    ) -> Result<DistributionList, AwsError> {
        const OP: &str = "ListDistributions";
        self.list_distributions()
            .set_marker(marker)
            .max_items(max_items)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?
            .distribution_list
            .ok_or_else(|| missing(OP, "DistributionList"))
    }

    async fn create_distribution_with_tags(
        &self,
        config: DistributionConfigWithTags,
    ) -> Result<Versioned<Distribution>, AwsError> {
        const OP: &str = "CreateDistributionWithTags";
        let out = self
            .create_distribution_with_tags()
            .distribution_config_with_tags(config)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        versioned(OP, out.distribution, out.e_tag)
    }

    async fn update_distribution(
        &self,
        id: &str,
        if_match: &str,
        config: DistributionConfig,
    ) -> Result<Versioned<Distribution>, AwsError> {
        const OP: &str = "UpdateDistribution";
        let out = self
            .update_distribution()
            .id(id)
            .if_match(if_match)
            .distribution_config(config)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(id))?;
        versioned(OP, out.distribution, out.e_tag)
    }

    async fn delete_distribution(&self, id: &str, if_match: &str) -> Result<(), AwsError> {
        self.delete_distribution()
            .id(id)
            .if_match(if_match)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteDistribution", e).with_subject(id))?;
        Ok(())
    }

    async fn get_cache_policy(&self, id: &str) -> Result<Versioned<CachePolicy>, AwsError> {
        const OP: &str = "GetCachePolicy";
        let out = self
            .get_cache_policy()
            .id(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(id))?;
        versioned(OP, out.cache_policy, out.e_tag)
    }

    async fn create_cache_policy(
        &self,
        config: CachePolicyConfig,
    ) -> Result<Versioned<CachePolicy>, AwsError> {
        const OP: &str = "CreateCachePolicy";
        let name = config.name.clone();
        let out = self
            .create_cache_policy()
            .cache_policy_config(config)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(name))?;
        versioned(OP, out.cache_policy, out.e_tag)
    }

    async fn update_cache_policy(
        &self,
        id: &str,
        if_match: &str,
        config: CachePolicyConfig,
    ) -> Result<Versioned<CachePolicy>, AwsError> {
        const OP: &str = "UpdateCachePolicy";
        let out = self
            .update_cache_policy()
            .id(id)
            .if_match(if_match)
            .cache_policy_config(config)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(id))?;
        versioned(OP, out.cache_policy, out.e_tag)
    }

    async fn delete_cache_policy(&self, id: &str, if_match: &str) -> Result<(), AwsError> {
        self.delete_cache_policy()
            .id(id)
            .if_match(if_match)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteCachePolicy", e).with_subject(id))?;
        Ok(())
    }

    async fn get_origin_request_policy(
        &self,
        id: &str,
    ) -> Result<Versioned<OriginRequestPolicy>, AwsError> {
        const OP: &str = "GetOriginRequestPolicy";
        let out = self
            .get_origin_request_policy()
            .id(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(id))?;
        versioned(OP, out.origin_request_policy, out.e_tag)
    }

    async fn create_origin_request_policy(
        &self,
        config: OriginRequestPolicyConfig,
    ) -> Result<Versioned<OriginRequestPolicy>, AwsError> {
        const OP: &str = "CreateOriginRequestPolicy";
        let name = config.name.clone();
        let out = self
            .create_origin_request_policy()
            .origin_request_policy_config(config)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(name))?;
        versioned(OP, out.origin_request_policy, out.e_tag)
    }

    async fn delete_origin_request_policy(&self, id: &str, if_match: &str) -> Result<(), AwsError> {
        self.delete_origin_request_policy()
            .id(id)
            .if_match(if_match)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteOriginRequestPolicy", e).with_subject(id))?;
        Ok(())
    }

    async fn list_cache_policies(
        &self,
        marker: Option<String>,
    ) -> Result<Page<CachePolicy>, AwsError> {
        let out = self
            .list_cache_policies()
            .r#type(CachePolicyType::Custom)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListCachePolicies", e))?;
        let list = out.cache_policy_list;
        Ok(Page {
            next: list
                .as_ref()
                .and_then(|l| l.next_marker.clone())
                .filter(|m| !m.is_empty()),
            items: list
                .and_then(|l| l.items)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|s| s.cache_policy)
                .collect(),
        })
    }

    async fn list_origin_request_policies(
        &self,
        marker: Option<String>,
    ) -> Result<Page<OriginRequestPolicy>, AwsError> {
        let out = self
            .list_origin_request_policies()
            .r#type(OriginRequestPolicyType::Custom)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListOriginRequestPolicies", e))?;
        let list = out.origin_request_policy_list;
        Ok(Page {
            next: list
                .as_ref()
                .and_then(|l| l.next_marker.clone())
                .filter(|m| !m.is_empty()),
            items: list
                .and_then(|l| l.items)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|s| s.origin_request_policy)
                .collect(),
        })
    }

    async fn list_distributions_by_cache_policy_id(
        &self,
        id: &str,
        marker: Option<String>,
    ) -> Result<Page<String>, AwsError> {
        const OP: &str = "ListDistributionsByCachePolicyId";
        let out = self
            .list_distributions_by_cache_policy_id()
            .cache_policy_id(id)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(id))?;
        Ok(id_page(out.distribution_id_list))
    }

    async fn list_distributions_by_origin_request_policy_id(
        &self,
        id: &str,
        marker: Option<String>,
    ) -> Result<Page<String>, AwsError> {
        const OP: &str = "ListDistributionsByOriginRequestPolicyId";
        let out = self
            .list_distributions_by_origin_request_policy_id()
            .origin_request_policy_id(id)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(id))?;
        Ok(id_page(out.distribution_id_list))
    }

    async fn list_tags_for_resource(&self, arn: &str) -> Result<Vec<Tag>, AwsError> {
        let out = self
            .list_tags_for_resource()
            .resource(arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListTagsForResource", e).with_subject(arn))?;
        Ok(out.tags.and_then(|t| t.items).unwrap_or_default())
    }

    async fn tag_resource(&self, arn: &str, tags: Vec<Tag>) -> Result<(), AwsError> {
        self.tag_resource()
            .resource(arn)
            .tags(Tags::builder().set_items(Some(tags)).build())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("TagResource", e).with_subject(arn))?;
        Ok(())
    }

    async fn untag_resource(&self, arn: &str, keys: Vec<String>) -> Result<(), AwsError> {
        self.untag_resource()
            .resource(arn)
            .tag_keys(TagKeys::builder().set_items(Some(keys)).build())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UntagResource", e).with_subject(arn))?;
        Ok(())
    }
}

/// The result of a read-modify-write of a distribution's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionUpdate {
    /// False when the change was already in place and nothing was sent.
    pub changed: bool,
    /// The distribution's current ETag.
    pub etag: String,
    /// The distribution's status after the update (`InProgress`); `None` when unchanged.
    pub status: Option<String>,
    /// The configuration now in place.
    pub config: DistributionConfig,
    /// Read-modify-write rounds it took (1 without a conflict).
    pub attempts: u32,
}

/// CloudFront finders, mutations and waiters.
pub type CloudFront = Service<dyn CloudFrontApi>;

impl CloudFront {
    // ---- distributions -------------------------------------------------------------------

    /// The distribution's configuration with its ETag, or `None` when it does not exist.
    pub async fn find_distribution_config_by_id(
        &self,
        id: &str,
    ) -> Result<Option<Versioned<DistributionConfig>>, AwsError> {
        found(
            self.api("GetDistributionConfig")
                .await
                .get_distribution_config(id)
                .await,
        )
    }

    /// Every distribution of the account, as summaries (which carry `Comment` and `Aliases`).
    pub async fn list_distribution_summaries(&self) -> Result<Vec<DistributionSummary>, AwsError> {
        all_pages(|marker| async move {
            let page = self
                .api("ListDistributions")
                .await
                .list_distributions(marker, DISTRIBUTIONS_PAGE_SIZE)
                .await?;
            let next = page
                .next_marker
                .filter(|m| page.is_truncated && !m.is_empty());
            Ok((page.items.unwrap_or_default(), next))
        })
        .await
    }

    /// Creates a distribution with its tags in one call (CreateDistributionWithTags), so no
    /// untagged distribution is ever visible.
    pub async fn create_distribution(
        &self,
        config: DistributionConfig,
        tags: &BTreeMap<String, String>,
    ) -> Result<Versioned<Distribution>, AwsError> {
        let with_tags = DistributionConfigWithTags::builder()
            .distribution_config(config)
            .tags(Tags::builder().set_items(Some(to_tags(tags)?)).build())
            .build();
        self.api("CreateDistributionWithTags")
            .await
            .create_distribution_with_tags(with_tags)
            .await
    }

    /// Replaces the configuration of the distribution whose version is `etag`.
    pub async fn update_distribution(
        &self,
        id: &str,
        etag: &str,
        mut config: DistributionConfig,
    ) -> Result<Versioned<Distribution>, AwsError> {
        prepare_for_update(&mut config);
        self.api("UpdateDistribution")
            .await
            .update_distribution(id, etag, config)
            .await
    }

    /// Reads the configuration, lets `change` edit it, and writes it back with `If-Match`;
    /// when another writer changed the distribution meanwhile (`PreconditionFailed`), starts
    /// over from a fresh read, at most [`ETAG_CONFLICT_MAX_ATTEMPTS`] times, pausing with
    /// jittered backoff. `change` returns whether it changed anything; when it did not,
    /// nothing is written.
    pub async fn update_distribution_config<F>(
        &self,
        id: &str,
        change: F,
    ) -> Result<DistributionUpdate, AwsError>
    where
        F: FnMut(&mut DistributionConfig) -> Result<bool, AwsError> + Send,
    {
        self.update_distribution_config_from(id, None, change).await
    }

    /// [`Self::update_distribution_config`] starting from `known`, the configuration and
    /// ETag of this process's last write, instead of a read. The ETag makes that safe: when
    /// anyone changed the distribution since, the write is refused and the update starts over
    /// from a fresh read. A change that `known` says is already in place is checked against a
    /// fresh read too, so nothing is skipped on the word of an old copy.
    pub async fn update_distribution_config_from<F>(
        &self,
        id: &str,
        mut known: Option<Versioned<DistributionConfig>>,
        mut change: F,
    ) -> Result<DistributionUpdate, AwsError>
    where
        F: FnMut(&mut DistributionConfig) -> Result<bool, AwsError> + Send,
    {
        let mut attempt = 0;
        loop {
            let (current, from_memory) = match known.take() {
                Some(known) => (known, true),
                None => {
                    attempt += 1;
                    let read = self
                        .api("GetDistributionConfig")
                        .await
                        .get_distribution_config(id)
                        .await?;
                    (read, false)
                }
            };
            let mut config = current.value;
            if !change(&mut config)? {
                if from_memory {
                    continue;
                }
                return Ok(DistributionUpdate {
                    changed: false,
                    etag: current.etag,
                    status: None,
                    config,
                    attempts: attempt,
                });
            }
            match self.update_distribution(id, &current.etag, config).await {
                Ok(updated) => {
                    let Versioned { value, etag } = updated;
                    let config = value
                        .distribution_config
                        .ok_or_else(|| missing("UpdateDistribution", "DistributionConfig"))?;
                    return Ok(DistributionUpdate {
                        changed: true,
                        etag,
                        status: Some(value.status),
                        config,
                        attempts: attempt.max(1),
                    });
                }
                Err(err) if err.kind() == ErrorKind::PreconditionFailed && from_memory => {
                    tracing::debug!(
                        distribution = id,
                        "changed since this process last wrote it, reading it again"
                    );
                }
                Err(err)
                    if err.kind() == ErrorKind::PreconditionFailed
                        && attempt < ETAG_CONFLICT_MAX_ATTEMPTS =>
                {
                    tracing::debug!(
                        distribution = id,
                        attempt,
                        "stale ETag, reading the distribution again"
                    );
                    self.conflict_pause(attempt).await;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Sets `Enabled = false` by read-modify-write, the step before deletion.
    pub async fn disable_distribution(&self, id: &str) -> Result<DistributionUpdate, AwsError> {
        self.update_distribution_config(id, |config| {
            let was_enabled = config.enabled;
            config.enabled = false;
            Ok(was_enabled)
        })
        .await
    }

    /// Deletes a distribution, which AWS allows only once it is disabled and deployed
    /// (`DistributionNotDisabled`, a [`ErrorKind::Conflict`], otherwise). A distribution
    /// already gone is success.
    pub async fn delete_distribution(&self, id: &str, etag: &str) -> Result<(), AwsError> {
        ignore_not_found(
            self.api("DeleteDistribution")
                .await
                .delete_distribution(id, etag)
                .await,
        )
    }

    /// Waits until the distribution's status is `Deployed`, polling every
    /// [`super::WaitSettings::distribution_poll`]; fails with [`ErrorKind::Timeout`] once `deadline`
    /// passes and [`ErrorKind::Cancelled`] when it is cancelled.
    pub async fn wait_distribution_deployed(
        &self,
        id: &str,
        deadline: &Deadline,
    ) -> Result<Versioned<Distribution>, AwsError> {
        poll_until(
            "WaitDistributionDeployed",
            &format!("distribution {id} to be {STATUS_DEPLOYED}"),
            self.waits.distribution_poll,
            deadline,
            || async {
                let distribution = self
                    .api("GetDistribution")
                    .await
                    .get_distribution(id)
                    .await?;
                Ok(if distribution.value.status == STATUS_DEPLOYED {
                    Poll::Ready(distribution)
                } else {
                    Poll::Pending(distribution.value.status)
                })
            },
        )
        .await
    }

    // ---- cache policies ------------------------------------------------------------------

    /// The cache policy with its ETag, or `None` when it does not exist.
    pub async fn find_cache_policy_by_id(
        &self,
        id: &str,
    ) -> Result<Option<Versioned<CachePolicy>>, AwsError> {
        found(self.api("GetCachePolicy").await.get_cache_policy(id).await)
    }

    /// Creates a cache policy.
    pub async fn create_cache_policy(
        &self,
        config: CachePolicyConfig,
    ) -> Result<Versioned<CachePolicy>, AwsError> {
        self.api("CreateCachePolicy")
            .await
            .create_cache_policy(config)
            .await
    }

    /// Replaces the configuration of the cache policy whose version is `etag`.
    pub async fn update_cache_policy(
        &self,
        id: &str,
        etag: &str,
        config: CachePolicyConfig,
    ) -> Result<Versioned<CachePolicy>, AwsError> {
        self.api("UpdateCachePolicy")
            .await
            .update_cache_policy(id, etag, config)
            .await
    }

    /// Deletes a cache policy; one still attached to a distribution fails with
    /// `CachePolicyInUse` ([`ErrorKind::Conflict`]). A policy already gone is success.
    pub async fn delete_cache_policy(&self, id: &str, etag: &str) -> Result<(), AwsError> {
        ignore_not_found(
            self.api("DeleteCachePolicy")
                .await
                .delete_cache_policy(id, etag)
                .await,
        )
    }

    // ---- origin request policies ---------------------------------------------------------

    /// The origin request policy with its ETag, or `None` when it does not exist.
    pub async fn find_origin_request_policy_by_id(
        &self,
        id: &str,
    ) -> Result<Option<Versioned<OriginRequestPolicy>>, AwsError> {
        found(
            self.api("GetOriginRequestPolicy")
                .await
                .get_origin_request_policy(id)
                .await,
        )
    }

    /// Creates an origin request policy.
    pub async fn create_origin_request_policy(
        &self,
        config: OriginRequestPolicyConfig,
    ) -> Result<Versioned<OriginRequestPolicy>, AwsError> {
        self.api("CreateOriginRequestPolicy")
            .await
            .create_origin_request_policy(config)
            .await
    }

    /// Deletes an origin request policy (`OriginRequestPolicyInUse` while attached). A policy
    /// already gone is success.
    pub async fn delete_origin_request_policy(&self, id: &str, etag: &str) -> Result<(), AwsError> {
        ignore_not_found(
            self.api("DeleteOriginRequestPolicy")
                .await
                .delete_origin_request_policy(id, etag)
                .await,
        )
    }

    /// The account's own cache policy named `name`, with its ETag, or `None`.
    pub async fn find_cache_policy_by_name(
        &self,
        name: &str,
    ) -> Result<Option<Versioned<CachePolicy>>, AwsError> {
        let all = all_pages(|marker| async move {
            let page = self
                .api("ListCachePolicies")
                .await
                .list_cache_policies(marker)
                .await?;
            Ok((page.items, page.next))
        })
        .await?;
        let named = all.into_iter().find(|p| {
            p.cache_policy_config
                .as_ref()
                .is_some_and(|c| c.name == name)
        });
        match named {
            Some(policy) => self.find_cache_policy_by_id(&policy.id).await,
            None => Ok(None),
        }
    }

    /// The account's own origin request policy named `name`, with its ETag, or `None`.
    pub async fn find_origin_request_policy_by_name(
        &self,
        name: &str,
    ) -> Result<Option<Versioned<OriginRequestPolicy>>, AwsError> {
        let all = all_pages(|marker| async move {
            let page = self
                .api("ListOriginRequestPolicies")
                .await
                .list_origin_request_policies(marker)
                .await?;
            Ok((page.items, page.next))
        })
        .await?;
        let named = all.into_iter().find(|p| {
            p.origin_request_policy_config
                .as_ref()
                .is_some_and(|c| c.name == name)
        });
        match named {
            Some(policy) => self.find_origin_request_policy_by_id(&policy.id).await,
            None => Ok(None),
        }
    }

    /// The ids of the distributions whose cache behaviours use cache policy `id`.
    pub async fn distributions_using_cache_policy(
        &self,
        id: &str,
    ) -> Result<Vec<String>, AwsError> {
        all_pages(|marker| async move {
            let page = self
                .api("ListDistributionsByCachePolicyId")
                .await
                .list_distributions_by_cache_policy_id(id, marker)
                .await?;
            Ok((page.items, page.next))
        })
        .await
    }

    /// The ids of the distributions whose cache behaviours use origin request policy `id`.
    pub async fn distributions_using_origin_request_policy(
        &self,
        id: &str,
    ) -> Result<Vec<String>, AwsError> {
        all_pages(|marker| async move {
            let page = self
                .api("ListDistributionsByOriginRequestPolicyId")
                .await
                .list_distributions_by_origin_request_policy_id(id, marker)
                .await?;
            Ok((page.items, page.next))
        })
        .await
    }

    // ---- tags ----------------------------------------------------------------------------

    /// The tags of a distribution (by ARN).
    pub async fn list_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
        let tags = self
            .api("ListTagsForResource")
            .await
            .list_tags_for_resource(arn)
            .await?;
        Ok(tags
            .into_iter()
            .map(|t| (t.key, t.value.unwrap_or_default()))
            .collect())
    }

    /// Adds or overwrites tags.
    pub async fn tag_resource(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), AwsError> {
        if tags.is_empty() {
            return Ok(());
        }
        self.api("TagResource")
            .await
            .tag_resource(arn, to_tags(tags)?)
            .await
    }

    /// Removes tags by key.
    pub async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), AwsError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.api("UntagResource")
            .await
            .untag_resource(arn, keys.to_vec())
            .await
    }
}

fn ignore_not_found(result: Result<(), AwsError>) -> Result<(), AwsError> {
    match result {
        Err(err) if err.is_not_found() => Ok(()),
        other => other,
    }
}

pub(super) fn to_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| AwsError::new("TagResource", ErrorKind::InvalidInput, e.to_string()))
        })
        .collect()
}

/// An `Aliases` element holding `items` (with the quantity AWS requires alongside).
pub fn to_aliases(items: Vec<String>) -> Result<Aliases, AwsError> {
    let quantity = i32::try_from(items.len()).map_err(|_| {
        AwsError::new(
            "UpdateDistribution",
            ErrorKind::InvalidInput,
            "too many aliases",
        )
    })?;
    Aliases::builder()
        .quantity(quantity)
        .set_items((!items.is_empty()).then_some(items))
        .build()
        .map_err(|e| AwsError::new("UpdateDistribution", ErrorKind::InvalidInput, e.to_string()))
}

/// Points a distribution's default behaviour at the given cache and origin request policies
/// (dropping the legacy settings they replace). Answers whether anything changed.
#[allow(deprecated)]
pub fn use_policies(
    config: &mut DistributionConfig,
    cache_policy_id: &str,
    origin_request_policy_id: &str,
) -> bool {
    let Some(behavior) = config.default_cache_behavior.as_mut() else {
        return false;
    };
    let before = behavior.clone();
    behavior.cache_policy_id = Some(cache_policy_id.to_string());
    behavior.origin_request_policy_id = Some(origin_request_policy_id.to_string());
    behavior.forwarded_values = None;
    behavior.min_ttl = None;
    behavior.default_ttl = None;
    behavior.max_ttl = None;
    *behavior != before
}

/// Makes a configuration read from CloudFront fit to send back. AWS accepts its own
/// read-back, but fields that only describe the state (the deprecated `Certificate` /
/// `CertificateSource`), legacy TTLs and forwarded values echoed next to a cache policy, and
/// empty optional ids are refused or misread by some endpoints, so they are dropped.
// The SDK marks the legacy fields deprecated; clearing them is the point.
#[allow(deprecated)]
pub fn prepare_for_update(config: &mut DistributionConfig) {
    fn empty_to_none(value: &mut Option<String>) {
        if value.as_deref().is_some_and(str::is_empty) {
            *value = None;
        }
    }
    macro_rules! behavior {
        ($b:expr) => {{
            let b = $b;
            empty_to_none(&mut b.cache_policy_id);
            empty_to_none(&mut b.origin_request_policy_id);
            empty_to_none(&mut b.response_headers_policy_id);
            empty_to_none(&mut b.realtime_log_config_arn);
            empty_to_none(&mut b.field_level_encryption_id);
            // With a cache policy, AWS refuses ForwardedValues and the TTL fields.
            if b.cache_policy_id.is_some() {
                b.forwarded_values = None;
                b.min_ttl = None;
                b.default_ttl = None;
                b.max_ttl = None;
            }
        }};
    }
    if let Some(b) = config.default_cache_behavior.as_mut() {
        behavior!(b);
    }
    if let Some(items) = config
        .cache_behaviors
        .as_mut()
        .and_then(|c| c.items.as_mut())
    {
        for b in items {
            behavior!(b);
        }
    }
    if let Some(vc) = config.viewer_certificate.as_mut() {
        empty_to_none(&mut vc.acm_certificate_arn);
        empty_to_none(&mut vc.iam_certificate_id);
        vc.certificate = None;
        vc.certificate_source = None;
    }
    if let Some(aliases) = config.aliases.as_mut() {
        let items = aliases.items.take().unwrap_or_default();
        aliases.quantity = i32::try_from(items.len()).unwrap_or(i32::MAX);
        aliases.items = (!items.is_empty()).then_some(items);
    }
    empty_to_none(&mut config.web_acl_id);
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudfront::types::{
        CertificateSource, CookiePreference, DefaultCacheBehavior, ForwardedValues, ItemSelection,
        ViewerCertificate, ViewerProtocolPolicy,
    };

    #[allow(deprecated)]
    fn read_back() -> DistributionConfig {
        let behavior = DefaultCacheBehavior::builder()
            .target_origin_id("alb")
            .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
            .cache_policy_id("658327ea-f89d-4fab-a63d-7e88639e58f6")
            .origin_request_policy_id("")
            .forwarded_values(
                ForwardedValues::builder()
                    .query_string(false)
                    .cookies(
                        CookiePreference::builder()
                            .forward(ItemSelection::None)
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .min_ttl(0)
            .default_ttl(86400)
            .max_ttl(31536000)
            .build()
            .unwrap();
        DistributionConfig::builder()
            .caller_reference("ref")
            .comment("pool")
            .enabled(true)
            .default_cache_behavior(behavior)
            .aliases(
                Aliases::builder()
                    .quantity(0)
                    .set_items(Some(vec![]))
                    .build()
                    .unwrap(),
            )
            .viewer_certificate(
                ViewerCertificate::builder()
                    .acm_certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/abc")
                    .iam_certificate_id("")
                    .certificate("arn:aws:acm:us-east-1:123456789012:certificate/abc")
                    .certificate_source(CertificateSource::Acm)
                    .build(),
            )
            .web_acl_id("")
            .build()
            .unwrap()
    }

    #[test]
    #[allow(deprecated)]
    fn read_back_is_trimmed_to_what_aws_accepts() {
        let mut config = read_back();
        prepare_for_update(&mut config);
        let behavior = config.default_cache_behavior.as_ref().unwrap();
        assert_eq!(
            behavior.cache_policy_id.as_deref(),
            Some("658327ea-f89d-4fab-a63d-7e88639e58f6")
        );
        assert!(behavior.forwarded_values.is_none());
        assert!(
            behavior.min_ttl.is_none()
                && behavior.default_ttl.is_none()
                && behavior.max_ttl.is_none()
        );
        assert!(behavior.origin_request_policy_id.is_none());
        let vc = config.viewer_certificate.as_ref().unwrap();
        assert!(vc.certificate.is_none() && vc.certificate_source.is_none());
        assert!(vc.iam_certificate_id.is_none());
        assert!(vc.acm_certificate_arn.is_some());
        assert_eq!(config.aliases.as_ref().unwrap().items, None);
        assert!(config.web_acl_id.is_none());
        assert_eq!(config.caller_reference, "ref");
        assert!(config.enabled);
    }

    #[test]
    #[allow(deprecated)]
    fn legacy_behaviors_keep_their_forwarded_values() {
        let mut config = read_back();
        let behavior = config.default_cache_behavior.as_mut().unwrap();
        behavior.cache_policy_id = None;
        prepare_for_update(&mut config);
        let behavior = config.default_cache_behavior.as_ref().unwrap();
        assert!(behavior.forwarded_values.is_some());
        assert_eq!(behavior.default_ttl, Some(86400));
    }
}
