# One partner, served at acme.<edge domain>.
resource "gateway_tenant" "acme" {
  edge_id = gateway_shared_edge.main.id
  name    = "acme"
}

# Many partners from a set; each gets an alias, its host on a listener rule and DNS records.
variable "partners" {
  type    = set(string)
  default = ["zeta", "kite"]
}

resource "gateway_tenant" "partner" {
  for_each = var.partners

  edge_id = gateway_shared_edge.main.id
  name    = each.key
}

# On an edge with rule_layout = "per_tenant" (here gateway_shared_edge.legacy), a tenant has a
# rule of its own, which can be tagged and pinned to a priority.
resource "gateway_tenant" "pinned" {
  edge_id  = gateway_shared_edge.legacy.id
  name     = "globex"
  priority = 10
  tags     = { team = "amer" }
}

# The host name a tenant will have, known before apply.
output "acme_host" {
  value = provider::gateway::tenant_host("acme", "gateway.example.com")
}
