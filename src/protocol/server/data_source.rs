//! ReadDataSource: reads a data source from its configuration.

use super::{decode, encode, ProviderService};
use crate::proto::tfplugin6 as pb;
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::validate::validate_block;
use crate::protocol::value::AttributePath;

pub(super) async fn read_data_source(
    service: &ProviderService,
    req: pb::read_data_source::Request,
) -> pb::read_data_source::Response {
    let mut diags = Diagnostics::new();
    let state = read(service, &req, &mut diags).await;
    pb::read_data_source::Response {
        state,
        diagnostics: diags.into_proto(),
        deferred: None,
    }
}

async fn read(
    service: &ProviderService,
    req: &pb::read_data_source::Request,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    let data_source = service.data_source(&req.type_name, diags)?;
    let config = decode(
        "configuration",
        req.config.as_ref(),
        &data_source.value_type,
        diags,
    )?;
    validate_block(
        &data_source.schema.block,
        &config,
        &AttributePath::root(),
        diags,
    );
    if diags.has_errors() {
        return None;
    }
    let ctx = service.context();
    let value = data_source
        .implementation
        .read(&ctx, &config, diags)
        .await?;
    encode("data source state", &value, &data_source.value_type, diags)
}
