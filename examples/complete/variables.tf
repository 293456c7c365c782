variable "aws_endpoint" {
  description = "One URL serving CloudFront, Route53, ELBv2 and STS (the emulator); null for AWS itself."
  type        = string
  default     = null
}

variable "aws_region" {
  description = "Region of the load balancer."
  type        = string
  default     = "eu-west-1"
}

variable "edge_name" {
  description = "Name of the shared edge (the tenants' edge_id)."
  type        = string
  default     = "gateway-demo"
}

variable "domain" {
  description = "Domain the partners live under: partner acme is served at acme.<domain>."
  type        = string
  default     = "gateway.example.com"
}

variable "hosted_zone_id" {
  description = "Route53 hosted zone of var.domain."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate in us-east-1 covering *.<domain>, for CloudFront."
  type        = string
}

variable "alb_listener_arn" {
  description = "The load balancer's HTTPS 443 listener; tenants' rules are added to it."
  type        = string
}

variable "target_group_arn" {
  description = "The target group every tenant's rule forwards to."
  type        = string
}

variable "max_aliases_per_distribution" {
  description = "Tenants per CloudFront distribution before the pool grows (CloudFront's quota: 100)."
  type        = number
  default     = 100
}

variable "partners" {
  description = "Partners to serve, by tenant name (one lowercase DNS label)."
  type        = set(string)
  default     = ["acme", "globex", "initech", "kite", "zeta"]
}
