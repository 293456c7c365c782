resource "gateway_shared_edge" "main" {
  name             = "gateway-prod"
  domain           = "gateway.example.com"
  hosted_zone_id   = "Z0123456789ABCDEFGHIJ"
  certificate_arn  = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
  alb_listener_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"
  target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/app/73e2d6bc24d8a067"

  # Up to five tenants' hosts per listener rule (the default); "per_tenant" gives each tenant a
  # rule of its own, for tenant tags and pinned priorities, at a fifth of the capacity.
  rule_layout = "grouped"

  # Cache settings shared by every tenant.
  min_ttl     = 180
  default_ttl = 3600
  compress    = true

  tags = {
    service = "partner-gateway"
  }

  timeouts {
    create = "30m"
    delete = "45m"
  }
}
