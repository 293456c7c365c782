//! CallFunction: runs a provider function. Failures are function errors that name the argument
//! at fault, which Terraform shows at that argument in the configuration.

use super::ProviderService;
use crate::proto::tfplugin6 as pb;
use crate::protocol::value::{msgpack, Value};

pub(super) fn call_function(
    service: &ProviderService,
    req: pb::call_function::Request,
) -> pb::call_function::Response {
    match call(service, &req) {
        Ok(result) => pb::call_function::Response {
            result: Some(result),
            error: None,
        },
        Err(error) => pb::call_function::Response {
            result: None,
            error: Some(error),
        },
    }
}

fn fail(text: impl Into<String>, argument: Option<usize>) -> pb::FunctionError {
    pb::FunctionError {
        text: text.into(),
        function_argument: argument.map(|i| i as i64),
    }
}

fn call(
    service: &ProviderService,
    req: &pb::call_function::Request,
) -> Result<pb::DynamicValue, pb::FunctionError> {
    let function = service.functions.get(req.name.as_str()).ok_or_else(|| {
        fail(
            format!("this provider has no function {:?}", req.name),
            None,
        )
    })?;
    let parameters = function.parameters();
    if req.arguments.len() != parameters.len() {
        return Err(fail(
            format!(
                "{} takes {} arguments, got {}",
                req.name,
                parameters.len(),
                req.arguments.len()
            ),
            None,
        ));
    }
    let mut args = Vec::with_capacity(parameters.len());
    for (i, (arg, param)) in req.arguments.iter().zip(&parameters).enumerate() {
        let value = if !arg.msgpack.is_empty() {
            msgpack::decode(&arg.msgpack, &param.ty)
        } else {
            crate::protocol::value::json::decode(&arg.json, &param.ty)
        }
        .map_err(|e| {
            fail(
                format!("argument {} could not be decoded: {e}", param.name),
                Some(i),
            )
        })?;
        if value.is_null() {
            return Err(fail(format!("{} must not be null", param.name), Some(i)));
        }
        if value.is_unknown() {
            return Err(fail(format!("{} must be known", param.name), Some(i)));
        }
        args.push(value);
    }
    let result: Value = function.call(&args).map_err(|e| fail(e.text, e.argument))?;
    msgpack::encode(&result, &function.return_type())
        .map(|bytes| pb::DynamicValue {
            msgpack: bytes,
            json: Vec::new(),
        })
        .map_err(|e| fail(format!("the result could not be encoded: {e}"), None))
}
