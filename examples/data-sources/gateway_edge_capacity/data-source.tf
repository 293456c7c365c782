# How full an edge is, read from AWS: counts tenants managed in any Terraform state.
data "gateway_edge_capacity" "main" {
  edge_id = gateway_shared_edge.main.id
}

output "tenants_left" {
  value = data.gateway_edge_capacity.main.aliases_free
}

output "listener_rules_left" {
  value = data.gateway_edge_capacity.main.listener_rules_free
}

# Per distribution of the pool: slot, id, domain_name, status, aliases_used, aliases_free.
output "pool" {
  value = data.gateway_edge_capacity.main.distributions
}
