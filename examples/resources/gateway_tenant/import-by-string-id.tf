import {
  to = gateway_tenant.acme
  id = "gateway-prod/acme"
}
