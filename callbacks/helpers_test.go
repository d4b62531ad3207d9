package callbacks_test

import "github.com/orderhub/orderhub/connectors/apiclient"

func apiClientOptions() apiclient.Options { return apiclient.Options{MaxRetries: -1} }
