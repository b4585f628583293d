// Command k8s-validate checks rendered Kubernetes manifests before any
// cluster sees them.
//
// Every object must decode strictly into its Go API type (k8s.io/api
// v0.31.3 through client-go's scheme, and the Prometheus operator's
// ServiceMonitor): an unknown or duplicated field, a wrong type or an
// unregistered kind is an error, as `kubectl apply --validate=strict` would
// report it. Then the objects must fit together (see check.go): Services,
// autoscalers, disruption budgets, network policies and service monitors
// select or name something that exists, every Secret, ConfigMap, volume,
// probe port and in-cluster URL a pod uses is there, and every container
// runs non-root on a read-only root file system with probes and resource
// requests and limits. With -compose, every app of docker-compose.yml must
// get at least the same environment variables in its Deployment.
//
//	helm template … | k8s-validate -external-secret runframe -compose docker-compose.yml
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

// Object is one decoded manifest and where it came from.
type Object struct {
	Obj    runtime.Object
	Kind   string
	Name   string
	Source string
}

func (o Object) String() string {
	if o.Source != "" {
		return fmt.Sprintf("%s/%s (%s)", o.Kind, o.Name, o.Source)
	}
	return fmt.Sprintf("%s/%s", o.Kind, o.Name)
}

var decoder = newDecoder()

func newDecoder() runtime.Decoder {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if err := monitoringv1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}

// Decode splits a YAML stream into documents and decodes each strictly.
// Empty documents (only comments or whitespace) are skipped.
func Decode(data []byte) ([]Object, []string) {
	var objects []Object
	var problems []string
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for n := 1; ; n++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("document %d: %v", n, err))
			break
		}
		source := sourceOf(doc)
		if isEmpty(doc) {
			continue
		}
		obj, gvk, err := decoder.Decode(doc, nil, nil)
		where := fmt.Sprintf("document %d", n)
		if source != "" {
			where += " (" + source + ")"
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", where, err))
			continue
		}
		accessor, ok := obj.(interface{ GetName() string })
		if !ok || accessor.GetName() == "" {
			problems = append(problems, fmt.Sprintf("%s: %s has no metadata.name", where, gvk.Kind))
			continue
		}
		objects = append(objects, Object{Obj: obj, Kind: gvk.Kind, Name: accessor.GetName(), Source: source})
	}
	return objects, problems
}

// sourceOf reads helm's "# Source: chart/templates/x.yaml" comment.
func sourceOf(doc []byte) string {
	for _, line := range strings.Split(string(doc), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "# Source: "); ok {
			return rest
		}
	}
	return ""
}

func isEmpty(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") && line != "---" && line != "null" {
			return false
		}
	}
	return true
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	var external stringList
	flag.Var(&external, "external-secret", "a Secret the manifests use but do not contain (repeatable)")
	compose := flag.String("compose", "", "docker-compose.yml whose app environments the Deployments must cover")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: k8s-validate [flags] [manifest.yaml …]   (stdin without files)")
		flag.PrintDefaults()
	}
	flag.Parse()

	var data []byte
	var err error
	if flag.NArg() == 0 {
		data, err = io.ReadAll(os.Stdin)
	} else {
		for _, file := range flag.Args() {
			var chunk []byte
			chunk, err = os.ReadFile(file)
			if err != nil {
				break
			}
			data = append(append(data, chunk...), []byte("\n---\n")...)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8s-validate:", err)
		os.Exit(2)
	}

	objects, problems := Decode(data)
	problems = append(problems, Check(objects, Options{ExternalSecrets: external})...)
	if *compose != "" {
		composeData, err := os.ReadFile(*compose)
		if err != nil {
			fmt.Fprintln(os.Stderr, "k8s-validate:", err)
			os.Exit(2)
		}
		problems = append(problems, CompareCompose(objects, composeData)...)
	}
	if len(objects) == 0 && len(problems) == 0 {
		problems = append(problems, "no objects in the input")
	}
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "k8s-validate: %d problem(s):\n", len(problems))
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "  -", p)
		}
		os.Exit(1)
	}
	fmt.Println("k8s-validate: ok:", summary(objects))
}

func summary(objects []Object) string {
	counts := map[string]int{}
	for _, o := range objects {
		counts[o.Kind]++
	}
	kinds := make([]string, 0, len(counts))
	for kind := range counts {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	parts := make([]string, 0, len(kinds))
	for _, kind := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", counts[kind], kind))
	}
	return fmt.Sprintf("%d objects (%s)", len(objects), strings.Join(parts, ", "))
}
