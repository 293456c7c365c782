# One partner, served at acme.<edge domain>.
resource "gateway_tenant" "acme" {
  edge_id = gateway_shared_edge.main.id
  name    = "acme"
}

# Many partners from a map; each gets an alias, a listener rule and DNS records.
variable "partners" {
  type = map(object({ team = string }))
  default = {
    zeta = { team = "emea" }
    kite = { team = "apac" }
  }
}

resource "gateway_tenant" "partner" {
  for_each = var.partners

  edge_id  = gateway_shared_edge.main.id
  name     = each.key
  priority = null # the lowest free priority
  tags     = { team = each.value.team }
}

# The host name a tenant will have, known before apply.
output "acme_host" {
  value = provider::gateway::tenant_host("acme", "gateway.example.com")
}
