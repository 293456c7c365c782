//! The provider block, in the AWS provider's style, and its resolution against the environment
//! (each setting falls back to the variable the AWS tools read).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::aws::clients::{AssumeRole, ClientConfig, Endpoints};
use crate::domain::naming;
use crate::protocol::schema::{Attribute, Block, NestedBlock, Schema};
use crate::protocol::validators::{parse_duration, IntBetween, MapOfStrings, StringRule};
use crate::protocol::value::{AttributePath, Value};
use crate::protocol::Diagnostics;

/// AWS's own bounds on an assumed role's session.
const MIN_ROLE_SESSION: Duration = Duration::from_secs(15 * 60);
const MAX_ROLE_SESSION: Duration = Duration::from_secs(12 * 3600);

/// Upper bound on `max_retries`; more only hides an outage.
pub const MAX_RETRIES_LIMIT: i64 = 25;

pub fn schema() -> Schema {
    let endpoint = |name: &str, service: &str, env: &str| {
        Attribute::string(name)
            .optional()
            .description(format!(
                "Endpoint URL for {service} instead of AWS's (for an emulator or a VPC endpoint). Falls back to `{env}`, then `AWS_ENDPOINT_URL`."
            ))
            .validator(StringRule {
                description: "An http or https URL",
                summary: "Invalid endpoint URL",
                check: check_url,
            })
    };
    let block = Block::new(
        "The gateway provider manages a multi-tenant edge on AWS: a pool of CloudFront distributions in front of an Application Load Balancer, and one partner (tenant) per host name. Credentials come from the usual AWS sources: environment, shared files, profile, or an assumed role.",
    )
    .attribute(
        Attribute::string("region")
            .optional()
            .description("AWS region of the load balancer. Falls back to `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the profile's region. CloudFront and Route53 are global and always signed for us-east-1.")
            .validator(StringRule {
                description: "An AWS region name such as `eu-west-1`",
                summary: "Invalid region",
                check: check_region,
            }),
    )
    .attribute(
        Attribute::string("profile")
            .optional()
            .description("Named profile from the shared configuration files. Falls back to `AWS_PROFILE`."),
    )
    .attribute(
        Attribute::string_list("shared_config_files")
            .optional()
            .description("Paths of shared configuration files. Falls back to `AWS_CONFIG_FILE`, then `~/.aws/config`."),
    )
    .attribute(
        Attribute::string_list("shared_credentials_files")
            .optional()
            .description("Paths of shared credentials files. Falls back to `AWS_SHARED_CREDENTIALS_FILE`, then `~/.aws/credentials`."),
    )
    .attribute(
        Attribute::number("max_retries")
            .optional()
            .description("How many times a throttled or failed AWS call is retried. Falls back to `AWS_MAX_ATTEMPTS` (minus one), then 25.")
            .validator(IntBetween(0, MAX_RETRIES_LIMIT)),
    )
    .attribute(
        Attribute::bool("skip_credentials_validation")
            .optional()
            .description("Skip the STS GetCallerIdentity call that checks the credentials when the provider is configured. Useful against emulators."),
    )
    .block(NestedBlock::list(
        "assume_role",
        Block::new("Assume an IAM role before calling AWS.")
            .attribute(
                Attribute::string("role_arn")
                    .required()
                    .description("ARN of the IAM role to assume.")
                    .validator(StringRule {
                        description: "An IAM role ARN",
                        summary: "Invalid role ARN",
                        check: check_role_arn,
                    }),
            )
            .attribute(
                Attribute::string("session_name")
                    .optional()
                    .description("Name of the role session, shown in CloudTrail.")
                    .validator(StringRule {
                        description: "2 to 64 characters of letters, digits and `=,.@-_`",
                        summary: "Invalid session name",
                        check: check_session_name,
                    }),
            )
            .attribute(
                Attribute::string("external_id")
                    .optional()
                    .description("External id the role's trust policy requires.")
                    .validator(StringRule {
                        description: "2 to 1224 characters",
                        summary: "Invalid external id",
                        check: check_external_id,
                    }),
            )
            .attribute(
                Attribute::string("duration")
                    .optional()
                    .description("How long the assumed role's session lasts, such as `1h`.")
                    .validator(StringRule {
                        description: "A duration from 15m to 12h",
                        summary: "Invalid duration",
                        check: check_role_duration,
                    }),
            ),
        1,
    ))
    .block(NestedBlock::list(
        "endpoints",
        Block::new("Custom service endpoints.")
            .attribute(endpoint("cloudfront", "CloudFront", "AWS_ENDPOINT_URL_CLOUDFRONT"))
            .attribute(endpoint("route53", "Route53", "AWS_ENDPOINT_URL_ROUTE_53"))
            .attribute(endpoint(
                "elbv2",
                "Elastic Load Balancing v2",
                "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2",
            ))
            .attribute(endpoint("sts", "STS", "AWS_ENDPOINT_URL_STS")),
        1,
    ))
    .block(NestedBlock::list(
        "default_tags",
        Block::new("Tags added to every AWS object the provider creates.").attribute(
            Attribute::string_map("tags")
                .optional()
                .description("Tags for every object; a resource's own `tags` win on conflict.")
                .validator(MapOfStrings {
                    max_entries: 50,
                    max_key_len: 128,
                    max_value_len: 256,
                }),
        ),
        1,
    ));
    Schema::new(0, block)
}

/// The provider block resolved against the environment: the AWS clients' settings, and the
/// tags added to everything the provider creates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderConfig {
    pub aws: ClientConfig,
    pub default_tags: BTreeMap<String, String>,
}

/// Reads the provider block, falling back to the environment (`get_env`, a table in tests) and
/// reporting values not yet known at their attribute.
struct Reader<'a, E: Fn(&str) -> Option<String>> {
    config: &'a Value,
    get_env: E,
    diags: &'a mut Diagnostics,
}

impl<E: Fn(&str) -> Option<String>> Reader<'_, E> {
    fn env(&self, key: &str) -> Option<String> {
        (self.get_env)(key).filter(|v| !v.is_empty())
    }

    /// A string of `block` at `path`; an unknown value is an error at its attribute.
    fn string(&mut self, block: &Value, name: &str, path: AttributePath) -> Option<String> {
        let value = block.get(name)?;
        if value.is_unknown() {
            self.diags.attribute_error(
                path,
                "Provider setting not yet known",
                "This setting depends on values known only after apply; the provider needs it to configure its AWS clients. Set it to a known value.",
            );
            return None;
        }
        value.as_str().map(str::to_string)
    }

    /// A top-level string attribute, else the first of the environment variables `env` set.
    fn setting(&mut self, name: &str, env: &[&str]) -> Option<String> {
        let config = self.config;
        self.string(config, name, AttributePath::root().attribute(name))
            .or_else(|| env.iter().find_map(|key| self.env(key)))
    }

    /// A list of strings, else the environment variable `env` as its only item.
    fn files(&self, name: &str, env: &str) -> Vec<String> {
        let listed: Vec<String> = match self.config.get(name) {
            Some(Value::List(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        if listed.is_empty() {
            self.env(env).into_iter().collect()
        } else {
            listed
        }
    }

    /// The single item of a nested block, with its path.
    fn block(&self, name: &str) -> Option<(Value, AttributePath)> {
        match self.config.get(name) {
            Some(Value::List(items)) => items
                .first()
                .cloned()
                .map(|b| (b, AttributePath::root().attribute(name).index(0))),
            _ => None,
        }
    }

    fn assume_role(&mut self) -> Option<AssumeRole> {
        let (block, at) = self.block("assume_role")?;
        let mut field = |name: &str| self.string(&block, name, at.attribute(name));
        let role_arn = field("role_arn")?;
        Some(AssumeRole {
            role_arn,
            session_name: field("session_name"),
            external_id: field("external_id"),
            duration: field("duration").and_then(|d| parse_duration(&d).ok()),
        })
    }

    fn endpoints(&mut self) -> Endpoints {
        let (block, at) = self.block("endpoints").unwrap_or((
            Value::Null,
            AttributePath::root().attribute("endpoints").index(0),
        ));
        let mut endpoint = |name: &str, env: &str| {
            self.string(&block, name, at.attribute(name))
                .or_else(|| self.env(env))
                .or_else(|| self.env("AWS_ENDPOINT_URL"))
        };
        Endpoints {
            cloudfront: endpoint("cloudfront", "AWS_ENDPOINT_URL_CLOUDFRONT"),
            route53: endpoint("route53", "AWS_ENDPOINT_URL_ROUTE_53"),
            elbv2: endpoint("elbv2", "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2"),
            sts: endpoint("sts", "AWS_ENDPOINT_URL_STS"),
        }
    }

    fn default_tags(&self) -> BTreeMap<String, String> {
        match self
            .block("default_tags")
            .and_then(|(b, _)| b.get("tags").cloned())
        {
            Some(Value::Map(tags)) => tags
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect(),
            _ => BTreeMap::new(),
        }
    }

    /// `max_retries`, else `AWS_MAX_ATTEMPTS` less the first attempt.
    fn max_retries(&self) -> Option<u32> {
        match self.config.get("max_retries").and_then(Value::as_i64) {
            Some(n) => u32::try_from(n).ok(),
            None => self
                .env("AWS_MAX_ATTEMPTS")
                .and_then(|v| v.trim().parse::<u32>().ok())
                .map(|attempts| attempts.saturating_sub(1)),
        }
    }
}

impl ProviderConfig {
    /// Resolves the provider block. `get_env` reads the environment (a table in tests).
    /// Values still unknown at this point (computed from resources not yet created) fail with a
    /// diagnostic naming the attribute.
    pub fn resolve(
        config: &Value,
        get_env: impl Fn(&str) -> Option<String>,
        diags: &mut Diagnostics,
    ) -> ProviderConfig {
        let mut read = Reader {
            config,
            get_env,
            diags,
        };
        let aws = ClientConfig {
            region: read.setting("region", &["AWS_REGION", "AWS_DEFAULT_REGION"]),
            profile: read.setting("profile", &["AWS_PROFILE"]),
            shared_config_files: read.files("shared_config_files", "AWS_CONFIG_FILE"),
            shared_credentials_files: read
                .files("shared_credentials_files", "AWS_SHARED_CREDENTIALS_FILE"),
            assume_role: read.assume_role(),
            endpoints: read.endpoints(),
            max_retries: read.max_retries(),
            skip_credentials_validation: config
                .get("skip_credentials_validation")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        };
        ProviderConfig {
            aws,
            default_tags: read.default_tags(),
        }
    }
}

fn check_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{url:?} must start with http:// or https://"))?;
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Err(format!("{url:?} has no host"));
    }
    Ok(())
}

fn check_region(region: &str) -> Result<(), String> {
    let parts: Vec<&str> = region.split('-').collect();
    let valid = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()));
    valid
        .then_some(())
        .ok_or_else(|| format!("{region:?} is not an AWS region name such as \"eu-west-1\""))
}

fn check_role_arn(arn: &str) -> Result<(), String> {
    let parsed = naming::parse_arn(arn)?;
    if parsed.service != "iam" || !parsed.resource.starts_with("role/") {
        return Err(format!(
            "{arn:?} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
        ));
    }
    Ok(())
}

fn check_session_name(name: &str) -> Result<(), String> {
    let valid = (2..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "=,.@-_".contains(c));
    valid
        .then_some(())
        .ok_or_else(|| format!("{name:?} must be 2 to 64 characters of letters, digits and =,.@-_"))
}

fn check_external_id(id: &str) -> Result<(), String> {
    if (2..=1224).contains(&id.len()) {
        Ok(())
    } else {
        Err("must be 2 to 1224 characters long".into())
    }
}

fn check_role_duration(text: &str) -> Result<(), String> {
    let duration = parse_duration(text)?;
    if (MIN_ROLE_SESSION..=MAX_ROLE_SESSION).contains(&duration) {
        Ok(())
    } else {
        Err(format!("{text:?} must be between 15m and 12h"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::env;

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut fields: BTreeMap<String, Value> = match schema().value_type() {
            crate::protocol::value::Type::Object(o) => o
                .attributes
                .keys()
                .map(|k| (k.clone(), Value::Null))
                .collect(),
            _ => unreachable!(),
        };
        for (k, v) in pairs {
            fields.insert(k.to_string(), v.clone());
        }
        Value::Object(fields)
    }

    #[test]
    fn environment_fills_what_the_block_leaves_out() {
        let mut diags = Diagnostics::new();
        let resolved = ProviderConfig::resolve(
            &config(&[]),
            env(&[
                ("AWS_DEFAULT_REGION", "eu-west-1"),
                ("AWS_PROFILE", "ops"),
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
                ("AWS_ENDPOINT_URL_ROUTE_53", "http://127.0.0.1:6000"),
                ("AWS_MAX_ATTEMPTS", "4"),
                ("AWS_CONFIG_FILE", "/etc/aws/config"),
            ]),
            &mut diags,
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(resolved.aws.region.as_deref(), Some("eu-west-1"));
        assert_eq!(resolved.aws.profile.as_deref(), Some("ops"));
        assert_eq!(
            resolved.aws.endpoints.cloudfront.as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(
            resolved.aws.endpoints.route53.as_deref(),
            Some("http://127.0.0.1:6000")
        );
        assert_eq!(resolved.aws.max_retries, Some(3));
        assert_eq!(
            resolved.aws.shared_config_files,
            vec!["/etc/aws/config".to_string()]
        );
    }

    #[test]
    fn the_block_wins_over_the_environment() {
        let mut diags = Diagnostics::new();
        let endpoints = Value::List(vec![Value::object([
            ("cloudfront", Value::from("http://localhost:1")),
            ("route53", Value::Null),
            ("elbv2", Value::Null),
            ("sts", Value::Null),
        ])]);
        let resolved = ProviderConfig::resolve(
            &config(&[
                ("region", Value::from("us-west-2")),
                ("max_retries", Value::from(2i64)),
                ("endpoints", endpoints),
            ]),
            env(&[
                ("AWS_REGION", "eu-west-1"),
                ("AWS_ENDPOINT_URL_CLOUDFRONT", "http://x:2"),
            ]),
            &mut diags,
        );
        assert_eq!(resolved.aws.region.as_deref(), Some("us-west-2"));
        assert_eq!(resolved.aws.max_retries, Some(2));
        assert_eq!(
            resolved.aws.endpoints.cloudfront.as_deref(),
            Some("http://localhost:1")
        );
    }

    #[test]
    fn unknown_settings_are_reported_at_their_attribute() {
        let mut diags = Diagnostics::new();
        ProviderConfig::resolve(&config(&[("region", Value::Unknown)]), env(&[]), &mut diags);
        assert!(diags.has_errors());
        let d = diags.iter().next().unwrap();
        assert_eq!(d.attribute, Some(AttributePath::root().attribute("region")));
    }

    #[test]
    fn rules() {
        type Check = fn(&str) -> Result<(), String>;
        let cases: [(Check, &str, bool); 11] = [
            (check_region, "eu-west-1", true),
            (check_region, "us-gov-west-1", true),
            (check_region, "Europe", false),
            (check_url, "http://127.0.0.1:5000", true),
            (check_url, "127.0.0.1:5000", false),
            (
                check_role_arn,
                "arn:aws:iam::123456789012:role/deployer",
                true,
            ),
            (check_role_arn, "arn:aws:iam::123456789012:user/bob", false),
            (check_role_duration, "1h", true),
            (check_role_duration, "5m", false),
            (check_session_name, "terraform", true),
            (check_session_name, "has space", false),
        ];
        for (check, input, valid) in cases {
            assert_eq!(check(input).is_ok(), valid, "{input}");
        }
    }
}
