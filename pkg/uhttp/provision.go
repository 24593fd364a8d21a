package uhttp

import (
	"errors"
	"net/http"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
	"github.com/batonkit/batonkit/pkg/annotations"
)

// AlreadyGranted reads the error of an API call that grants access: a 409
// Conflict (the app already has the grant) is success, reported with
// GrantAlreadyExists, as the contract asks; anything else is returned.
//
//	_, err := c.PostJSON(ctx, "teams/"+id+"/members", body, nil)
//	annos, err := uhttp.AlreadyGranted(err)
func AlreadyGranted(err error) (annotations.Annotations, error) {
	if httpStatus(err) == http.StatusConflict {
		return annotations.New(&connectorv2.GrantAlreadyExists{}), nil
	}
	return nil, err
}

// AlreadyRevoked reads the error of an API call that revokes access: a
// 404 Not Found (nothing to remove) is success, reported with
// GrantAlreadyRevoked; anything else is returned.
func AlreadyRevoked(err error) (annotations.Annotations, error) {
	if httpStatus(err) == http.StatusNotFound {
		return annotations.New(&connectorv2.GrantAlreadyRevoked{}), nil
	}
	return nil, err
}

func httpStatus(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}
