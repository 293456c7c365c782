import {
  to = gateway_shared_edge.main
  identity = {
    name = "gateway-prod"
  }
}
