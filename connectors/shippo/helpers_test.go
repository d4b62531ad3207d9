package shippo_test

import "github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"

func fakeFailure(status int) fakeplatform.Failure { return fakeplatform.Failure{Status: status} }
