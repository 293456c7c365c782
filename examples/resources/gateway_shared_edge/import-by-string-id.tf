import {
  to = gateway_shared_edge.main
  id = "gateway-prod"
}
