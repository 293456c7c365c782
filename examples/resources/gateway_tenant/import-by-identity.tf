import {
  to = gateway_tenant.acme
  identity = {
    edge_id = "gateway-prod"
    name    = "acme"
  }
}
