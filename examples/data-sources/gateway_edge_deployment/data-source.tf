# Tenants return once AWS has accepted their alias, rule and records. Reading this after them
# makes the apply end only when every partner is served: one wait for the whole edge.
data "gateway_edge_deployment" "main" {
  edge_id    = gateway_shared_edge.main.id
  depends_on = [gateway_tenant.partner]

  timeouts {
    read = "45m"
  }
}

output "served_hosts" {
  value = data.gateway_edge_deployment.main.hosts
}
