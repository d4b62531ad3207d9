package bigcommercetest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
)

// updateShipment follows PUT /v2/orders/{id}/shipments/{shipment_id}: the
// tracking fields and comments of a shipment change; its items do not.
func (s *Server) updateShipment(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if err := fakeplatform.DecodeBody(r, &in); err != nil {
		s.badRequest(w, "The request body is not valid JSON.")
		return
	}
	if p, has := in["shipping_provider"]; has {
		v := fakeplatform.JSONString(p)
		ok := strings.HasPrefix(v, "carrier_")
		for _, known := range ShippingProviders {
			ok = ok || known == v
		}
		if !ok {
			s.badRequest(w, "The field 'shipping_provider' is invalid.")
			return
		}
	}
	shipID, err := strconv.ParseInt(r.PathValue("shipment_id"), 10, 64)
	if err != nil {
		s.notFound(w)
		return
	}
	var out []byte
	found := false
	if !s.withOrder(w, r, func(o *order) {
		for _, sh := range o.shipments {
			if fakeplatform.IDOf(sh) != shipID {
				continue
			}
			found = true
			for _, k := range []string{"tracking_number", "shipping_method", "shipping_provider", "tracking_carrier", "tracking_link", "comments"} {
				if v, has := in[k]; has {
					sh[k] = v
				}
			}
			if v, has := in["tracking_link"]; has {
				sh["generated_tracking_link"] = v
			}
			if v, has := in["shipping_provider"]; has {
				sh["shipping_provider_display_name"] = strings.ToUpper(fakeplatform.JSONString(v))
			}
			out, _ = json.Marshal(sh)
		}
	}) {
		return
	}
	if !found {
		s.notFound(w)
		return
	}
	writeRaw(w, http.StatusOK, out)
}
