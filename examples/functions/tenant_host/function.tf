# The host a tenant will be served at, known at plan time (Terraform 1.8 and later).
output "partner_host" {
  value = provider::gateway::tenant_host("acme", "gateway.example.com")
}

# With the edge's domain: the same value as gateway_tenant.acme.host.
locals {
  partner_hosts = {
    for name in ["zeta", "kite"] : name => provider::gateway::tenant_host(name, gateway_shared_edge.main.domain)
  }
}
