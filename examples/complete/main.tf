# The seed scenario end to end: one shared edge in front of an existing load balancer, and one
# gateway_tenant per partner. The load balancer, its HTTPS listener, the target group, the
# certificate and the hosted zone exist already (testbed/seed.py makes them in the emulator).

terraform {
  required_version = ">= 1.0"

  required_providers {
    gateway = {
      source = "example/gateway"
    }
  }
}

provider "gateway" {
  region = var.aws_region

  # Against an emulator every service is served at one URL and there is no STS to ask who we
  # are; against AWS (aws_endpoint = null) the defaults apply.
  endpoints {
    cloudfront = var.aws_endpoint
    route53    = var.aws_endpoint
    elbv2      = var.aws_endpoint
    sts        = var.aws_endpoint
  }
  skip_credentials_validation = var.aws_endpoint != null

  default_tags {
    tags = {
      managed-by = "terraform"
      example    = "complete"
    }
  }
}

resource "gateway_shared_edge" "main" {
  name             = var.edge_name
  domain           = var.domain
  hosted_zone_id   = var.hosted_zone_id
  certificate_arn  = var.certificate_arn
  alb_listener_arn = var.alb_listener_arn
  target_group_arn = var.target_group_arn

  max_aliases_per_distribution = var.max_aliases_per_distribution

  min_ttl     = 180
  default_ttl = 3600
  compress    = true

  tags = {
    service = "partner-gateway"
  }
}

# One partner per entry of var.partners, served at <name>.<domain>. The edge groups up to five
# partners' hosts per listener rule (rule_layout = "grouped", the default), so 100 rules serve 500.
resource "gateway_tenant" "partner" {
  for_each = var.partners

  edge_id = gateway_shared_edge.main.id
  name    = each.key
}

# The apply ends when every partner is served: every pool distribution deployed and every record
# change in sync. One wait for the whole edge, not one per partner.
data "gateway_edge_deployment" "main" {
  edge_id    = gateway_shared_edge.main.id
  depends_on = [gateway_tenant.partner]
}

output "tenants" {
  description = "Each partner's host, the distribution serving it and its listener rule."
  value = {
    for key, tenant in gateway_tenant.partner : key => {
      host              = tenant.host
      distribution_id   = tenant.distribution_id
      listener_rule_arn = tenant.listener_rule_arn
    }
  }
}

output "distribution_ids" {
  description = "The edge's pool of CloudFront distributions."
  value       = gateway_shared_edge.main.distribution_ids
}
