//go:build e2e

// Package e2e calls the Runframe team API the way a Go team would, with
// connect-go over HTTP/1.1 and grpc-go over h2c, against a running stack.
// tools/clients/clients.e2e.test.ts starts the stack and runs it:
//
//	go test -tags e2e ./e2e
//
// with RUNFRAME_INCIDENT_URL (the incident service's base URL),
// RUNFRAME_API_KEY (organization A's key) and RUNFRAME_OTHER_INCIDENT_ID (an
// incident of organization B, which A must not see).
package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	incidentv1 "runframe.io/ingest/clients/go/runframe/incident/v1"
	"runframe.io/ingest/clients/go/runframe/incident/v1/incidentv1connect"
)

func setting(t *testing.T, name string) string {
	t.Helper()
	value := os.Getenv(name)
	if value == "" {
		t.Fatalf("%s is not set; run this suite through npm test (tools/clients/clients.e2e.test.ts)", name)
	}
	return value
}

func context5s(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// connectClient is connect-go with Go's default HTTP client: HTTP/1.1, no TLS.
func connectClient(t *testing.T) incidentv1connect.IncidentServiceClient {
	return incidentv1connect.NewIncidentServiceClient(http.DefaultClient, setting(t, "RUNFRAME_INCIDENT_URL"))
}

func withKey[T any](msg *T, key string) *connect.Request[T] {
	req := connect.NewRequest(msg)
	req.Header().Set("Authorization", "Bearer "+key)
	return req
}

func TestConnectGoOverHTTP1(t *testing.T) {
	client := connectClient(t)
	key := setting(t, "RUNFRAME_API_KEY")

	t.Run("lists incidents", func(t *testing.T) {
		res, err := client.ListIncidents(context5s(t), withKey(&incidentv1.ListIncidentsRequest{}, key))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Msg.GetIncidents()) == 0 {
			t.Fatal("no incidents listed")
		}
		if res.Msg.GetIncidents()[0].GetId() == "" {
			t.Fatal("an incident without an id")
		}
	})

	t.Run("wrong key is UNAUTHENTICATED with an ErrorInfo reason", func(t *testing.T) {
		_, err := client.ListIncidents(context5s(t), withKey(&incidentv1.ListIncidentsRequest{}, "rf_wrong_key_0000000000000000000000000000"))
		var connectErr *connect.Error
		if !errors.As(err, &connectErr) || connectErr.Code() != connect.CodeUnauthenticated {
			t.Fatalf("want unauthenticated, got %v", err)
		}
		info := errorInfo(t, connectErr)
		if info.GetReason() != "API_KEY_INVALID" || info.GetDomain() != "runframe.io" {
			t.Fatalf("ErrorInfo = %v", info)
		}
	})

	t.Run("another organization's incident is NOT_FOUND", func(t *testing.T) {
		_, err := client.GetIncident(context5s(t), withKey(&incidentv1.GetIncidentRequest{IncidentId: setting(t, "RUNFRAME_OTHER_INCIDENT_ID")}, key))
		if connect.CodeOf(err) != connect.CodeNotFound {
			t.Fatalf("want not_found, got %v", err)
		}
	})

	t.Run("bad argument is INVALID_ARGUMENT with a BadRequest", func(t *testing.T) {
		_, err := client.ListIncidents(context5s(t), withKey(&incidentv1.ListIncidentsRequest{PageSize: 1000}, key))
		var connectErr *connect.Error
		if !errors.As(err, &connectErr) || connectErr.Code() != connect.CodeInvalidArgument {
			t.Fatalf("want invalid_argument, got %v", err)
		}
		var fields []string
		for _, detail := range connectErr.Details() {
			value, err := detail.Value()
			if err != nil {
				t.Fatal(err)
			}
			if badRequest, ok := value.(*errdetails.BadRequest); ok {
				for _, v := range badRequest.GetFieldViolations() {
					fields = append(fields, v.GetField())
				}
			}
		}
		if len(fields) != 1 || fields[0] != "page_size" {
			t.Fatalf("BadRequest fields = %v", fields)
		}
	})
}

func errorInfo(t *testing.T, err *connect.Error) *errdetails.ErrorInfo {
	t.Helper()
	for _, detail := range err.Details() {
		value, derr := detail.Value()
		if derr != nil {
			t.Fatal(derr)
		}
		if info, ok := value.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	t.Fatalf("no ErrorInfo in %v", err)
	return nil
}

// grpcConn is grpc-go over h2c (plaintext HTTP/2 with prior knowledge).
func grpcConn(t *testing.T) *grpc.ClientConn {
	base, err := url.Parse(setting(t, "RUNFRAME_INCIDENT_URL"))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(base.Host, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func TestGrpcGoOverH2C(t *testing.T) {
	conn := grpcConn(t)
	client := incidentv1.NewIncidentServiceClient(conn)
	key := setting(t, "RUNFRAME_API_KEY")
	authed := func(t *testing.T, key string) context.Context {
		return metadata.AppendToOutgoingContext(context5s(t), "authorization", "Bearer "+key)
	}

	t.Run("lists incidents", func(t *testing.T) {
		res, err := client.ListIncidents(authed(t, key), &incidentv1.ListIncidentsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.GetIncidents()) == 0 {
			t.Fatal("no incidents listed")
		}
	})

	t.Run("wrong key is UNAUTHENTICATED with an ErrorInfo reason", func(t *testing.T) {
		_, err := client.ListIncidents(authed(t, "rf_wrong_key_0000000000000000000000000000"), &incidentv1.ListIncidentsRequest{})
		st := status.Convert(err)
		if st.Code() != codes.Unauthenticated {
			t.Fatalf("want Unauthenticated, got %v", err)
		}
		var reason string
		for _, detail := range st.Details() {
			if info, ok := detail.(*errdetails.ErrorInfo); ok {
				reason = info.GetReason()
			}
		}
		if reason != "API_KEY_INVALID" {
			t.Fatalf("ErrorInfo reason = %q in %v", reason, st.Details())
		}
	})

	t.Run("another organization's incident is NOT_FOUND", func(t *testing.T) {
		_, err := client.GetIncident(authed(t, key), &incidentv1.GetIncidentRequest{IncidentId: setting(t, "RUNFRAME_OTHER_INCIDENT_ID")})
		if status.Code(err) != codes.NotFound {
			t.Fatalf("want NotFound, got %v", err)
		}
	})

	t.Run("bad argument is INVALID_ARGUMENT with a BadRequest", func(t *testing.T) {
		_, err := client.ListIncidents(authed(t, key), &incidentv1.ListIncidentsRequest{PageSize: -1})
		st := status.Convert(err)
		if st.Code() != codes.InvalidArgument {
			t.Fatalf("want InvalidArgument, got %v", err)
		}
		var fields []string
		for _, detail := range st.Details() {
			if badRequest, ok := detail.(*errdetails.BadRequest); ok {
				for _, v := range badRequest.GetFieldViolations() {
					fields = append(fields, v.GetField())
				}
			}
		}
		if len(fields) != 1 || fields[0] != "page_size" {
			t.Fatalf("BadRequest fields = %v", fields)
		}
	})

	t.Run("grpc-go's own health client works, linked beside our protos", func(t *testing.T) {
		res, err := grpc_health_v1.NewHealthClient(conn).Check(context5s(t), &grpc_health_v1.HealthCheckRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if res.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
			t.Fatalf("health = %v", res.GetStatus())
		}
	})
}
