//! `provider::gateway::tenant_host(name, domain)`: the host name a tenant is served at, with the
//! same checks `gateway_tenant` applies, so configurations can use it before apply.

use crate::domain::naming;
use crate::protocol::resource::{Function, FunctionError, Parameter};
use crate::protocol::value::{Type, Value};

pub struct TenantHost;

impl Function for TenantHost {
    fn name(&self) -> &'static str {
        "tenant_host"
    }

    fn summary(&self) -> &'static str {
        "The host name of a tenant on an edge"
    }

    fn description(&self) -> &'static str {
        "Returns `<name>.<domain>`, the host a `gateway_tenant` named `name` is served at on an edge whose `domain` is `domain`. Fails when `name` is not one lowercase DNS label, `domain` is not a host name, or the result is longer than 253 characters."
    }

    fn parameters(&self) -> Vec<Parameter> {
        vec![
            Parameter {
                name: "name",
                ty: Type::String,
                description: "The tenant's name: one lowercase DNS label.",
            },
            Parameter {
                name: "domain",
                ty: Type::String,
                description: "The edge's domain, such as `gateway.example.com`.",
            },
        ]
    }

    fn return_type(&self) -> Type {
        Type::String
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let name = args.first().and_then(Value::as_str).unwrap_or_default();
        let domain = args.get(1).and_then(Value::as_str).unwrap_or_default();
        if let Err(reason) = naming::check_label(name) {
            return Err(FunctionError {
                text: format!("invalid tenant name: {reason}"),
                argument: Some(0),
            });
        }
        if let Err(reason) = naming::check_host(domain) {
            return Err(FunctionError {
                text: format!("invalid domain: {reason}"),
                argument: Some(1),
            });
        }
        naming::tenant_host(name, domain)
            .map(Value::String)
            .map_err(|reason| FunctionError {
                text: reason,
                argument: Some(0),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, domain: &str) -> Result<Value, FunctionError> {
        TenantHost.call(&[Value::from(name), Value::from(domain)])
    }

    #[test]
    fn joins_name_and_domain() {
        assert_eq!(
            call("acme", "gateway.example.com").unwrap(),
            Value::from("acme.gateway.example.com")
        );
    }

    #[test]
    fn blames_the_right_argument() {
        assert_eq!(
            call("Acme", "gateway.example.com").unwrap_err().argument,
            Some(0)
        );
        assert_eq!(call("acme", "gateway").unwrap_err().argument, Some(1));
        let label = "a".repeat(63);
        let domain = [label.as_str(); 3].join(".");
        let err = call(&label, &domain).unwrap_err();
        assert!(err.text.contains("253"), "{}", err.text);
    }
}
