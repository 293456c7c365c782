//! Provider-defined functions, called as `provider::gateway::<name>(...)`.

mod tenant_host;

pub use tenant_host::TenantHost;
