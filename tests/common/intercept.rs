//! The AWS APIs with a hook run before chosen calls: how a test stages what another writer
//! does between the provider's read and its write (a rival update of a distribution, a rule
//! created on the priority the provider chose). Everything else goes straight through.

use async_trait::async_trait;
use aws_sdk_cloudfront::types as cf;
use aws_sdk_elasticloadbalancingv2::types as elb;
use futures::future::BoxFuture;
use gateway::aws::cloudfront::{CloudFrontApi, Versioned};
use gateway::aws::elbv2::Elbv2Api;
use gateway::aws::saas::{SaasApi, TenantInfo};
use gateway::aws::{AwsError, Page};

/// A call about to be made, with what the hooks need of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    UpdateDistribution {
        id: String,
    },
    CreateRule {
        listener_arn: String,
        priority: i32,
        target_group_arn: String,
    },
}

type Hook = Box<dyn Fn(Call) -> BoxFuture<'static, ()> + Send + Sync>;

/// `inner`, with `hook` run before each [`Call`].
pub struct Intercepted<A> {
    inner: A,
    hook: Hook,
}

impl<A> Intercepted<A> {
    pub fn new(
        inner: A,
        hook: impl Fn(Call) -> BoxFuture<'static, ()> + Send + Sync + 'static,
    ) -> Self {
        Self {
            inner,
            hook: Box::new(hook),
        }
    }
}

/// SaaS Manager calls go straight through.
#[async_trait]
impl<A: SaasApi> SaasApi for Intercepted<A> {
    async fn create_connection_group(
        &self,
        name: &str,
        ipv6: bool,
        tags: Vec<cf::Tag>,
    ) -> Result<Versioned<cf::ConnectionGroup>, AwsError> {
        self.inner.create_connection_group(name, ipv6, tags).await
    }
    async fn get_connection_group(
        &self,
        identifier: &str,
    ) -> Result<Versioned<cf::ConnectionGroup>, AwsError> {
        self.inner.get_connection_group(identifier).await
    }
    async fn update_connection_group(
        &self,
        id: &str,
        if_match: &str,
        enabled: bool,
        ipv6: bool,
    ) -> Result<Versioned<cf::ConnectionGroup>, AwsError> {
        self.inner
            .update_connection_group(id, if_match, enabled, ipv6)
            .await
    }
    async fn delete_connection_group(&self, id: &str, if_match: &str) -> Result<(), AwsError> {
        self.inner.delete_connection_group(id, if_match).await
    }
    async fn create_distribution_tenant(
        &self,
        distribution_id: &str,
        name: &str,
        domains: &[String],
        connection_group_id: &str,
        tags: Vec<cf::Tag>,
    ) -> Result<Versioned<cf::DistributionTenant>, AwsError> {
        self.inner
            .create_distribution_tenant(distribution_id, name, domains, connection_group_id, tags)
            .await
    }
    async fn get_distribution_tenant(
        &self,
        identifier: &str,
    ) -> Result<Versioned<cf::DistributionTenant>, AwsError> {
        self.inner.get_distribution_tenant(identifier).await
    }
    async fn get_distribution_tenant_by_domain(
        &self,
        domain: &str,
    ) -> Result<Versioned<cf::DistributionTenant>, AwsError> {
        self.inner.get_distribution_tenant_by_domain(domain).await
    }
    async fn update_distribution_tenant(
        &self,
        id: &str,
        if_match: &str,
        domains: &[String],
        enabled: bool,
    ) -> Result<Versioned<cf::DistributionTenant>, AwsError> {
        self.inner
            .update_distribution_tenant(id, if_match, domains, enabled)
            .await
    }
    async fn delete_distribution_tenant(&self, id: &str, if_match: &str) -> Result<(), AwsError> {
        self.inner.delete_distribution_tenant(id, if_match).await
    }
    async fn update_domain_association(
        &self,
        domain: &str,
        tenant_id: &str,
        if_match: &str,
    ) -> Result<(), AwsError> {
        self.inner
            .update_domain_association(domain, tenant_id, if_match)
            .await
    }
    async fn list_distribution_tenants(
        &self,
        distribution_id: Option<&str>,
        marker: Option<String>,
    ) -> Result<(Vec<TenantInfo>, Option<String>), AwsError> {
        self.inner
            .list_distribution_tenants(distribution_id, marker)
            .await
    }
}

#[async_trait]
impl<A: CloudFrontApi> CloudFrontApi for Intercepted<A> {
    async fn get_distribution(&self, id: &str) -> Result<Versioned<cf::Distribution>, AwsError> {
        self.inner.get_distribution(id).await
    }
    async fn get_distribution_config(
        &self,
        id: &str,
    ) -> Result<Versioned<cf::DistributionConfig>, AwsError> {
        self.inner.get_distribution_config(id).await
    }
    async fn list_distributions(
        &self,
        marker: Option<String>,
        max_items: i32,
    ) -> Result<cf::DistributionList, AwsError> {
        self.inner.list_distributions(marker, max_items).await
    }
    async fn create_distribution_with_tags(
        &self,
        config: cf::DistributionConfigWithTags,
    ) -> Result<Versioned<cf::Distribution>, AwsError> {
        self.inner.create_distribution_with_tags(config).await
    }
    async fn update_distribution(
        &self,
        id: &str,
        if_match: &str,
        config: cf::DistributionConfig,
    ) -> Result<Versioned<cf::Distribution>, AwsError> {
        (self.hook)(Call::UpdateDistribution { id: id.to_string() }).await;
        self.inner.update_distribution(id, if_match, config).await
    }
    async fn delete_distribution(&self, id: &str, if_match: &str) -> Result<(), AwsError> {
        self.inner.delete_distribution(id, if_match).await
    }
    async fn get_cache_policy(&self, id: &str) -> Result<Versioned<cf::CachePolicy>, AwsError> {
        self.inner.get_cache_policy(id).await
    }
    async fn create_cache_policy(
        &self,
        config: cf::CachePolicyConfig,
    ) -> Result<Versioned<cf::CachePolicy>, AwsError> {
        self.inner.create_cache_policy(config).await
    }
    async fn update_cache_policy(
        &self,
        id: &str,
        if_match: &str,
        config: cf::CachePolicyConfig,
    ) -> Result<Versioned<cf::CachePolicy>, AwsError> {
        self.inner.update_cache_policy(id, if_match, config).await
    }
    async fn delete_cache_policy(&self, id: &str, if_match: &str) -> Result<(), AwsError> {
        self.inner.delete_cache_policy(id, if_match).await
    }
    async fn get_origin_request_policy(
        &self,
        id: &str,
    ) -> Result<Versioned<cf::OriginRequestPolicy>, AwsError> {
        self.inner.get_origin_request_policy(id).await
    }
    async fn create_origin_request_policy(
        &self,
        config: cf::OriginRequestPolicyConfig,
    ) -> Result<Versioned<cf::OriginRequestPolicy>, AwsError> {
        self.inner.create_origin_request_policy(config).await
    }
    async fn delete_origin_request_policy(&self, id: &str, if_match: &str) -> Result<(), AwsError> {
        self.inner.delete_origin_request_policy(id, if_match).await
    }
    async fn list_cache_policies(
        &self,
        marker: Option<String>,
    ) -> Result<Page<cf::CachePolicy>, AwsError> {
        self.inner.list_cache_policies(marker).await
    }
    async fn list_origin_request_policies(
        &self,
        marker: Option<String>,
    ) -> Result<Page<cf::OriginRequestPolicy>, AwsError> {
        self.inner.list_origin_request_policies(marker).await
    }
    async fn list_distributions_by_cache_policy_id(
        &self,
        id: &str,
        marker: Option<String>,
    ) -> Result<Page<String>, AwsError> {
        self.inner
            .list_distributions_by_cache_policy_id(id, marker)
            .await
    }
    async fn list_distributions_by_origin_request_policy_id(
        &self,
        id: &str,
        marker: Option<String>,
    ) -> Result<Page<String>, AwsError> {
        self.inner
            .list_distributions_by_origin_request_policy_id(id, marker)
            .await
    }
    async fn list_tags_for_resource(&self, arn: &str) -> Result<Vec<cf::Tag>, AwsError> {
        self.inner.list_tags_for_resource(arn).await
    }
    async fn tag_resource(&self, arn: &str, tags: Vec<cf::Tag>) -> Result<(), AwsError> {
        self.inner.tag_resource(arn, tags).await
    }
    async fn untag_resource(&self, arn: &str, keys: Vec<String>) -> Result<(), AwsError> {
        self.inner.untag_resource(arn, keys).await
    }
}

#[async_trait]
impl<A: Elbv2Api> Elbv2Api for Intercepted<A> {
    async fn describe_listeners(&self, arns: Vec<String>) -> Result<Vec<elb::Listener>, AwsError> {
        self.inner.describe_listeners(arns).await
    }
    async fn describe_load_balancer_listeners(
        &self,
        load_balancer_arn: &str,
        marker: Option<String>,
    ) -> Result<Page<elb::Listener>, AwsError> {
        self.inner
            .describe_load_balancer_listeners(load_balancer_arn, marker)
            .await
    }
    async fn describe_load_balancers(
        &self,
        arns: Vec<String>,
    ) -> Result<Vec<elb::LoadBalancer>, AwsError> {
        self.inner.describe_load_balancers(arns).await
    }
    async fn describe_target_groups(
        &self,
        arns: Vec<String>,
    ) -> Result<Vec<elb::TargetGroup>, AwsError> {
        self.inner.describe_target_groups(arns).await
    }
    async fn describe_rules(
        &self,
        listener_arn: &str,
        marker: Option<String>,
        page_size: i32,
    ) -> Result<Page<elb::Rule>, AwsError> {
        self.inner
            .describe_rules(listener_arn, marker, page_size)
            .await
    }
    async fn describe_tags(&self, arns: Vec<String>) -> Result<Vec<elb::TagDescription>, AwsError> {
        self.inner.describe_tags(arns).await
    }
    async fn create_rule(
        &self,
        listener_arn: &str,
        priority: i32,
        conditions: Vec<elb::RuleCondition>,
        actions: Vec<elb::Action>,
        tags: Vec<elb::Tag>,
    ) -> Result<elb::Rule, AwsError> {
        let target_group_arn = actions
            .first()
            .and_then(|a| a.target_group_arn.clone())
            .unwrap_or_default();
        (self.hook)(Call::CreateRule {
            listener_arn: listener_arn.to_string(),
            priority,
            target_group_arn,
        })
        .await;
        self.inner
            .create_rule(listener_arn, priority, conditions, actions, tags)
            .await
    }
    async fn modify_rule(
        &self,
        rule_arn: &str,
        conditions: Option<Vec<elb::RuleCondition>>,
        actions: Vec<elb::Action>,
    ) -> Result<elb::Rule, AwsError> {
        self.inner.modify_rule(rule_arn, conditions, actions).await
    }
    async fn delete_rule(&self, rule_arn: &str) -> Result<(), AwsError> {
        self.inner.delete_rule(rule_arn).await
    }
    async fn set_rule_priorities(
        &self,
        pairs: Vec<elb::RulePriorityPair>,
    ) -> Result<Vec<elb::Rule>, AwsError> {
        self.inner.set_rule_priorities(pairs).await
    }
    async fn add_tags(&self, arns: Vec<String>, tags: Vec<elb::Tag>) -> Result<(), AwsError> {
        self.inner.add_tags(arns, tags).await
    }
    async fn remove_tags(&self, arns: Vec<String>, keys: Vec<String>) -> Result<(), AwsError> {
        self.inner.remove_tags(arns, keys).await
    }
}
