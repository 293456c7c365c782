# An edge is imported by its name.
terraform import gateway_shared_edge.main gateway-prod
