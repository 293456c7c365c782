# A tenant is imported by its edge id and name.
terraform import gateway_tenant.acme gateway-prod/acme
