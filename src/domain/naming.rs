//! Names the provider accepts and derives: tenant labels, host names, AWS identifiers. Pure
//! functions; every rule here is checked before anything is asked of AWS.

/// A DNS label is at most this long (RFC 1035 section 2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// A host name, without the trailing dot, is at most this long.
pub const MAX_HOST_LEN: usize = 253;

/// Checks one lowercase DNS label per RFC 1123: letters, digits and inner hyphens.
pub fn check_label(label: &str) -> Result<(), String> {
    if label.is_empty() {
        return Err("must not be empty".into());
    }
    if label.len() > MAX_LABEL_LEN {
        return Err(format!(
            "{label:?} is {} characters long; a DNS label has at most {MAX_LABEL_LEN}",
            label.len()
        ));
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        let hint = if c.is_ascii_uppercase() {
            " (use lowercase: host names are matched in lowercase)"
        } else {
            ""
        };
        return Err(format!(
            "{label:?} contains {c:?}; a DNS label may contain only lowercase letters, digits and hyphens{hint}"
        ));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(format!("{label:?} must not start or end with a hyphen"));
    }
    Ok(())
}

/// Checks a host name: dot-separated labels, at least two, no trailing dot, at most 253
/// characters in all.
pub fn check_host(host: &str) -> Result<(), String> {
    if host.ends_with('.') {
        return Err(format!("{host:?} must not end with a dot"));
    }
    if host.len() > MAX_HOST_LEN {
        return Err(format!(
            "{host:?} is {} characters long; a host name has at most {MAX_HOST_LEN}",
            host.len()
        ));
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return Err(format!(
            "{host:?} must have at least two labels, such as example.com"
        ));
    }
    for label in labels {
        check_label(label).map_err(|e| format!("in {host:?}: {e}"))?;
    }
    Ok(())
}

/// The form DNS names are compared in: lowercase, without a trailing dot.
pub fn normalize_host(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The host name of a tenant: `<name>.<domain>`, checked as a whole.
pub fn tenant_host(name: &str, domain: &str) -> Result<String, String> {
    check_label(name).map_err(|e| format!("tenant name {e}"))?;
    check_host(domain).map_err(|e| format!("domain {e}"))?;
    let host = format!("{name}.{domain}");
    if host.len() > MAX_HOST_LEN {
        return Err(format!(
            "the tenant host {host:?} would be {} characters long; a host name has at most {MAX_HOST_LEN}",
            host.len()
        ));
    }
    Ok(host)
}

/// The parts of an ARN: `arn:<partition>:<service>:<region>:<account>:<resource>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

/// Splits an ARN into its parts, checking the general shape.
pub fn parse_arn(arn: &str) -> Result<Arn<'_>, String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        return Err(format!(
            "{arn:?} is not an ARN (arn:<partition>:<service>:<region>:<account>:<resource>)"
        ));
    }
    let arn_parts = Arn {
        partition: parts[1],
        service: parts[2],
        region: parts[3],
        account: parts[4],
        resource: parts[5],
    };
    if !matches!(arn_parts.partition, "aws" | "aws-cn" | "aws-us-gov") {
        return Err(format!(
            "{arn:?} has an unknown partition {:?}",
            arn_parts.partition
        ));
    }
    let account_is_id =
        arn_parts.account.len() == 12 && arn_parts.account.chars().all(|c| c.is_ascii_digit());
    if !arn_parts.account.is_empty() && !account_is_id {
        return Err(format!("{arn:?} has an account id that is not 12 digits"));
    }
    if arn_parts.resource.is_empty() {
        return Err(format!("{arn:?} names no resource"));
    }
    Ok(arn_parts)
}

fn expect_arn<'a>(
    arn: &'a str,
    service: &str,
    resource_prefix: &str,
    what: &str,
) -> Result<Arn<'a>, String> {
    let parsed = parse_arn(arn)?;
    if parsed.service != service || !parsed.resource.starts_with(resource_prefix) {
        return Err(format!(
            "{arn:?} is not {what} ARN (expected arn:aws:{service}:<region>:<account>:{resource_prefix}...)"
        ));
    }
    if parsed.region.is_empty() || parsed.account.is_empty() {
        return Err(format!("{arn:?} must name a region and an account"));
    }
    Ok(parsed)
}

/// An ACM certificate usable by CloudFront: it must live in us-east-1.
pub fn check_cloudfront_certificate_arn(arn: &str) -> Result<(), String> {
    let parsed = expect_arn(arn, "acm", "certificate/", "an ACM certificate")?;
    if parsed.region != "us-east-1" {
        return Err(format!(
            "{arn:?} is in {}; CloudFront only uses ACM certificates from us-east-1",
            parsed.region
        ));
    }
    Ok(())
}

/// An Application Load Balancer listener.
pub fn check_alb_listener_arn(arn: &str) -> Result<(), String> {
    expect_arn(
        arn,
        "elasticloadbalancing",
        "listener/app/",
        "an Application Load Balancer listener",
    )
    .map(|_| ())
}

/// An ELBv2 target group.
pub fn check_target_group_arn(arn: &str) -> Result<(), String> {
    expect_arn(
        arn,
        "elasticloadbalancing",
        "targetgroup/",
        "a target group",
    )
    .map(|_| ())
}

/// A WAF web ACL attachable to CloudFront: a global WAFv2 ACL ARN, or a classic WAF ACL id.
pub fn check_web_acl_id(id: &str) -> Result<(), String> {
    if id.starts_with("arn:") {
        let parsed = expect_arn(id, "wafv2", "global/webacl/", "a global WAFv2 web ACL")?;
        if parsed.region != "us-east-1" {
            return Err(format!(
                "{id:?}: CloudFront web ACLs are global and live in us-east-1"
            ));
        }
        return Ok(());
    }
    let is_uuid = id.len() == 36
        && id.chars().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    is_uuid.then_some(()).ok_or_else(|| {
        format!("{id:?} is neither a WAFv2 web ACL ARN nor a classic WAF web ACL id")
    })
}

/// A Route53 hosted zone id: `Z` followed by upper-case letters and digits (the
/// `/hostedzone/` prefix some APIs return is accepted and means the same zone).
pub fn check_hosted_zone_id(id: &str) -> Result<(), String> {
    let bare = id.strip_prefix("/hostedzone/").unwrap_or(id);
    let valid = bare.len() <= 32
        && bare.len() >= 2
        && bare
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    valid.then_some(()).ok_or_else(|| {
        format!("{id:?} is not a Route53 hosted zone id (upper-case letters and digits, such as Z0123456789ABCDEFGHIJ)")
    })
}

/// A CloudFront distribution id: upper-case letters and digits, such as `E2QWRUHAPOMQZL`.
pub fn check_distribution_id(id: &str) -> Result<(), String> {
    let valid = (2..=32).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    valid.then_some(()).ok_or_else(|| {
        format!("{id:?} is not a CloudFront distribution id (upper-case letters and digits, such as E2QWRUHAPOMQZL)")
    })
}

/// The name of an edge: it becomes part of AWS resource names and references, so it is kept to
/// letters, digits, hyphens and underscores.
pub fn check_edge_name(name: &str) -> Result<(), String> {
    const MAX: usize = 64;
    if name.is_empty() || name.len() > MAX {
        return Err(format!("must be 1 to {MAX} characters long"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "{name:?} contains {c:?}; use letters, digits, hyphens and underscores"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        let long = "a".repeat(63);
        for ok in ["a", "acme", "a1", "1a", "x-y", long.as_str()] {
            assert!(check_label(ok).is_ok(), "{ok}");
        }
        let too_long = "a".repeat(64);
        let cases = [
            ("", "empty"),
            ("Acme", "lowercase"),
            ("-acme", "hyphen"),
            ("acme-", "hyphen"),
            ("ac_me", "'_'"),
            ("a.b", "'.'"),
            ("ünï", "'ü'"),
            (too_long.as_str(), "at most 63"),
        ];
        for (bad, why) in cases {
            let err = check_label(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn hosts() {
        assert!(check_host("gateway.example.com").is_ok());
        for bad in ["example", "example.com.", "a..b", "Example.com", "a.-b.com"] {
            assert!(check_host(bad).is_err(), "{bad}");
        }
        let label = "a".repeat(63);
        let long = [label.as_str(); 4].join(".");
        assert_eq!(long.len(), 255);
        assert!(check_host(&long).unwrap_err().contains("at most 253"));
    }

    #[test]
    fn names_compare_in_lowercase_without_the_root_dot() {
        assert_eq!(normalize_host("Acme.Example.COM."), "acme.example.com");
        assert_eq!(normalize_host("acme.example.com"), "acme.example.com");
    }

    #[test]
    fn tenant_hosts() {
        assert_eq!(
            tenant_host("acme", "gateway.example.com").unwrap(),
            "acme.gateway.example.com"
        );
        assert!(tenant_host("Acme", "gateway.example.com")
            .unwrap_err()
            .starts_with("tenant name"));
        assert!(tenant_host("acme", "bad_domain.com")
            .unwrap_err()
            .starts_with("domain"));
        let label = "a".repeat(63);
        let domain = [label.as_str(); 3].join(".");
        let err = tenant_host(&label, &domain).unwrap_err();
        assert!(err.contains("would be 255 characters"), "{err}");
    }

    #[test]
    fn arns() {
        assert!(check_cloudfront_certificate_arn(
            "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
        )
        .is_ok());
        assert!(check_cloudfront_certificate_arn(
            "arn:aws:acm:eu-west-1:123456789012:certificate/x"
        )
        .unwrap_err()
        .contains("us-east-1"));
        assert!(check_alb_listener_arn(
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"
        )
        .is_ok());
        assert!(check_alb_listener_arn(
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/net/web/50dc/f2f7"
        )
        .is_err());
        assert!(check_target_group_arn(
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/app/73e2d6bc24d8a067"
        )
        .is_ok());
        assert!(check_target_group_arn("arn:aws:s3:::bucket").is_err());
        assert!(parse_arn("not-an-arn").is_err());
        assert!(parse_arn("arn:aws:acm:us-east-1:12345:certificate/x")
            .unwrap_err()
            .contains("12 digits"));
        assert!(check_web_acl_id(
            "arn:aws:wafv2:us-east-1:123456789012:global/webacl/main/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
        )
        .is_ok());
        assert!(check_web_acl_id("a1b2c3d4-5678-90ab-cdef-0123456789ab").is_ok());
        assert!(check_web_acl_id("main").is_err());
    }

    #[test]
    fn zone_ids_and_edge_names() {
        assert!(check_hosted_zone_id("Z0123456789ABCDEFGHIJ").is_ok());
        assert!(check_hosted_zone_id("/hostedzone/Z2FDTNDATAQYW2").is_ok());
        assert!(check_hosted_zone_id("z123").is_err());
        assert!(check_edge_name("gateway-prod").is_ok());
        assert!(check_edge_name("gateway prod").is_err());
        assert!(check_edge_name("").is_err());
    }
}
