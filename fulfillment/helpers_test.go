package fulfillment_test

import (
	"time"

	"github.com/orderhub/orderhub/connectors/apiclient"
)

var apiclientStatusError = apiclient.StatusError{Platform: "shipbob", StatusCode: 429, RetryAfter: 5 * time.Minute, Attempts: 5}
