//! How values are written in diagnostics and documentation: the way they look in configuration.

use super::value::Value;

impl Value {
    /// The value as it would be written in HCL, e.g. `"acme"`, `180`, `true`, `["a", "b"]`.
    pub fn to_display(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Unknown => "(known after apply)".into(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::String(s) => format!("{s:?}"),
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                let inner: Vec<String> = items.iter().map(Value::to_display).collect();
                format!("[{}]", inner.join(", "))
            }
            Value::Map(entries) | Value::Object(entries) => {
                let inner: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", v.to_display()))
                    .collect();
                format!("{{ {} }}", inner.join(", "))
            }
            Value::Dynamic(_, inner) => inner.to_display(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_look_like_configuration() {
        assert_eq!(Value::from("acme").to_display(), "\"acme\"");
        assert_eq!(Value::from(180i64).to_display(), "180");
        assert_eq!(Value::Bool(true).to_display(), "true");
        assert_eq!(
            Value::List(vec![Value::from("a"), Value::Null]).to_display(),
            "[\"a\", null]"
        );
        assert_eq!(
            Value::object([("k", Value::from(1i64))]).to_display(),
            "{ k = 1 }"
        );
    }
}
