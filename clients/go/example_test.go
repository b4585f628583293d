package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	incidentv1 "runframe.io/ingest/clients/go/runframe/incident/v1"
	"runframe.io/ingest/clients/go/runframe/incident/v1/incidentv1connect"
)

// Lists incidents with connect-go and Go's default HTTP client (HTTP/1.1),
// and reads the standard error details of a failure.
func Example_connect() {
	client := incidentv1connect.NewIncidentServiceClient(http.DefaultClient, "http://127.0.0.1:7002")
	req := connect.NewRequest(&incidentv1.ListIncidentsRequest{PageSize: 20})
	req.Header().Set("Authorization", "Bearer rf_dev_api_key_0000000000000000000000000000")
	res, err := client.ListIncidents(context.Background(), req)
	var connectErr *connect.Error
	if errors.As(err, &connectErr) {
		for _, detail := range connectErr.Details() {
			switch value, _ := detail.Value(); d := value.(type) {
			case *errdetails.ErrorInfo:
				fmt.Println("reason:", d.GetReason()) // e.g. API_KEY_INVALID
			case *errdetails.BadRequest:
				for _, v := range d.GetFieldViolations() {
					fmt.Println(v.GetField(), v.GetDescription())
				}
			}
		}
		return
	}
	for _, incident := range res.Msg.GetIncidents() {
		fmt.Println(incident.GetId(), incident.GetTitle())
	}
}

// Lists incidents with grpc-go over h2c (plaintext HTTP/2).
func Example_grpc() {
	conn, err := grpc.NewClient("127.0.0.1:7002", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(),
		"authorization", "Bearer rf_dev_api_key_0000000000000000000000000000")
	res, err := incidentv1.NewIncidentServiceClient(conn).ListIncidents(ctx, &incidentv1.ListIncidentsRequest{})
	if err != nil {
		log.Fatal(err) // status.Convert(err).Details() holds the error details
	}
	for _, incident := range res.GetIncidents() {
		fmt.Println(incident.GetId(), incident.GetTitle())
	}
}
