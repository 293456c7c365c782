# Every partner the edge's distributions serve, with the full state, so that
# `terraform query -generate-config-out=partners.tf` writes their blocks and import blocks.
list "gateway_tenant" "partners" {
  provider         = gateway
  include_resource = true

  config {
    edge_id = "gateway-prod"
  }
}
