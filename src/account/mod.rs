//! What one provider process knows of the AWS account, shared by every resource, and the
//! writes it coordinates. Each piece of shared state has one owner:
//!
//! - [`distributions`]: the account's distributions, listed once and patched after the
//!   provider's writes, and the edges found among them;
//! - [`pool`]: placing tenants' aliases in a pool (room reserved for tenants being created,
//!   capacities AWS revealed, one growth per slot), through
//! - [`aliases`]: alias changes on one distribution merged into one read-modify-write;
//! - [`rules`]: listener rules read once per listener, and the choice of a free priority;
//! - [`groups`]: hosts joining and leaving grouped rules, merged per listener and state;
//! - [`records`]: hosted zone records read once per zone, and record changes merged per zone
//!   with one shared wait for sync;
//! - [`tenants`]: multi-tenant edges' distribution tenants, one per tenant host;
//! - [`plans`]: edges and tenant hosts planned in this process.
//!
//! [`Account`] only composes them; decisions are the domain's, made from their snapshots.

pub mod aliases;
mod cache;
pub mod distributions;
mod error;
pub mod groups;
mod merge;
pub mod plans;
pub mod pool;
pub mod records;
pub mod rules;
pub mod tenants;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::aws::AwsClients;
pub use aliases::AliasOutcome;
pub use distributions::Distributions;
pub use error::AccountError;
pub use groups::Group;
pub use merge::Crowd;
pub use plans::Plans;
pub use pool::{Placed, Pool};
pub use records::{HostRecords, Records};
pub use rules::{NewRule, Rules};
pub use tenants::DistributionTenants;

/// Settings of the process that are not part of AWS.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Tags added to everything the provider creates.
    pub default_tags: BTreeMap<String, String>,
}

/// The shared state of one provider process.
pub struct Account {
    pub aws: AwsClients,
    pub settings: Settings,
    pub distributions: Arc<Distributions>,
    pub pool: Pool,
    pub tenants: DistributionTenants,
    pub rules: Rules,
    pub records: Records,
    pub plans: Plans,
    /// The tenant operations under way, which writers gathering a batch wait for.
    pub crowd: Arc<Crowd>,
}

impl Account {
    pub fn new(aws: AwsClients, settings: Settings) -> Self {
        let distributions = Arc::new(Distributions::new(aws.cloudfront.clone()));
        Self {
            pool: Pool::new(aws.cloudfront.clone(), distributions.clone()),
            tenants: DistributionTenants::new(aws.cloudfront.clone(), distributions.clone()),
            rules: Rules::new(aws.elbv2.clone()),
            records: Records::new(aws.route53.clone()),
            plans: Plans::default(),
            crowd: Arc::default(),
            distributions,
            settings,
            aws,
        }
    }
}
